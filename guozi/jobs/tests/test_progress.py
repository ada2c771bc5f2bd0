import io

from django.core.management.base import OutputWrapper

from guozi.jobs.progress import cli_progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_not_a_terminal_prints_every_ten_percent():
    out = io.StringIO()
    progress = cli_progress(out)
    for done in range(0, 1001, 7):
        progress(done, 1000, "checking")
    progress(1000, 1000, "checked")
    progress(1000, 1000, "checked")
    lines = out.getvalue().splitlines()
    assert [line.split("%")[0].strip() for line in lines] == [
        "0",
        "10",
        "20",
        "30",
        "40",
        "50",
        "60",
        "70",
        "80",
        "90",
        "100",
    ]
    assert lines[-1] == "100%  1000/1000  checked"


def test_a_second_phase_starts_a_new_bar():
    out = io.StringIO()
    progress = cli_progress(out)
    progress(10, 10, "validated")
    progress(0, 4, "writing")
    progress(4, 4, "written")
    assert out.getvalue().splitlines() == [
        "100%  10/10  validated",
        "  0%  0/4  writing",
        "100%  4/4  written",
    ]


def test_a_terminal_gets_one_redrawn_line():
    out = Terminal()
    progress = cli_progress(out, width=10)
    progress(0, 4, "a long first message")
    progress(4, 4, "ok")
    text = out.getvalue()
    assert text.startswith("\r[----------]   0%  0/4  a long first message")
    assert "\r[##########] 100%  4/4  ok" in text
    assert text.endswith("\n") and text.count("\n") == 1
    # The shorter second line blanks out the rest of the first.
    last = text.rsplit("\r", 1)[1]
    assert len(last.rstrip("\n")) == len("[----------]   0%  0/4  a long first message")


def test_a_commands_output_wrapper_adds_no_newlines():
    out = Terminal()
    progress = cli_progress(OutputWrapper(out), width=4)
    progress(1, 2, "half")
    progress(2, 2, "all")
    assert out.getvalue().count("\n") == 1


def test_unknown_total_is_counted_on_a_terminal_and_quiet_elsewhere():
    out, plain = Terminal(), io.StringIO()
    cli_progress(out)(42, None, "rows read")
    cli_progress(plain)(42, None, "rows read")
    assert out.getvalue() == "\r42  rows read"
    assert plain.getvalue() == ""
