"""Plain bulk inserts of prepared rows: COPY on PostgreSQL, executemany on SQLite.

For writes of thousands of rows whose values are already in database form (JSON as text), where
the model layer's per-field preparation would cost more than the database's work.
"""

from django.db import connection

CHUNK = 2000


def bulk_insert(model, columns: list[str], rows: list[tuple]) -> None:
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    names = ", ".join(quote(column) for column in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        marks = ", ".join(["%s"] * len(columns))
        sql = f"INSERT INTO {table} ({names}) VALUES ({marks})"
        for start in range(0, len(rows), CHUNK):
            cursor.executemany(sql, rows[start : start + CHUNK])
