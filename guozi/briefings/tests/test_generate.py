"""Generating a brief: the four files, Chinese text and real glyphs in the PDF, the Word
document's sections, the appendix's sheets; a missing CJK font fails the job, writing nothing."""

import io

import pypdf
import pypdfium2
from docx import Document as WordDocument
from openpyxl import load_workbook

from guozi.briefings import files, services
from guozi.briefings.models import Brief
from guozi.jobs.models import JobStatus
from guozi.lib.pdf import html_to_pdf

STOP_NAMES = ("辽钢板材有限公司", "辽钢板材鞍山加工厂", "营口港务有限公司")


def generate(cast, tour, run_jobs):
    job = run_jobs(lambda: services.brief_generate(acting_user=cast.analyst, brief=tour.brief))
    job.refresh_from_db()
    return job, Brief.objects.get(id=tour.brief.id)


def pdf_fonts(reader: pypdf.PdfReader) -> set[str]:
    names = set()
    for page in reader.pages:
        fonts = page.get("/Resources", {}).get("/Font", {})
        for font in fonts.values():
            names.add(str(font.get_object().get("/BaseFont")))
    return names


def test_the_brief_in_four_formats(figures, tour, run_jobs):
    job, brief = generate(figures, tour, run_jobs)
    assert job.status == JobStatus.SUCCEEDED, job.message
    assert job.result["stops"] == 3
    assert job.percent == 100
    assert sorted(brief.draft_files) == ["docx", "html", "pdf", "xlsx"]
    assert brief.draft_is_current

    pdf = pypdf.PdfReader(files.path_of(brief.draft_files["pdf"]))
    text = "".join(page.extract_text() for page in pdf.pages)
    for name in STOP_NAMES:
        assert name in text
    assert "Net loss year to date" in text  # the alert raised on A1 is a point to raise
    assert any("CJK" in name for name in pdf_fonts(pdf)), pdf_fonts(pdf)

    html = files.path_of(brief.draft_files["html"]).read_text()
    assert "@page" in html and "data:image/png;base64," in html  # charts drawn on the server

    word = WordDocument(str(files.path_of(brief.draft_files["docx"])))
    headings = [p.text for p in word.paragraphs if p.style.name.startswith("Heading")]
    for name in STOP_NAMES:
        assert any(name in heading for heading in headings), headings
    assert len(word.inline_shapes) >= 1  # the charts, as pictures
    assert "analyst" in word.sections[0].footer.paragraphs[0].text  # the watermark

    workbook = load_workbook(files.path_of(brief.draft_files["xlsx"]))
    stops, points = workbook.worksheets[:2]
    assert [row[3] for row in stops.iter_rows(min_row=2, values_only=True)] == list(STOP_NAMES)
    assert any("Net loss" in str(row[1]) for row in points.iter_rows(values_only=True))
    assert any(name.startswith("1 ") for name in workbook.sheetnames)  # stop 1's tables


def render_text(text: str):
    html = (
        "<html><body style=\"font-family: 'Noto Sans CJK SC'; font-size: 40pt\">"
        f"<p>{text}</p></body></html>"
    )
    pdf = pypdfium2.PdfDocument(html_to_pdf(html))
    image = pdf[0].render(scale=1).to_pil().convert("L")
    return image.crop(image.getbbox() or (0, 0, 1, 1)), html


def test_chinese_glyphs_are_real_shapes_not_boxes():
    """Tofu boxes look the same for any text; real glyphs differ from one string to another."""
    dalian, _html = render_text("大连")
    panjin, _html = render_text("盘锦")
    assert dalian.size[0] > 40  # something was drawn
    assert dalian.tobytes() != panjin.tobytes()
    assert sum(1 for count in dalian.histogram() if count) > 2  # antialiased strokes


def test_a_missing_cjk_font_fails_the_job_and_writes_nothing(figures, tour, run_jobs, settings):
    settings.GUOZI_CJK_FONT = str(settings.DATA_DIR / "no-such-font.ttf")
    job, brief = generate(figures, tour, run_jobs)
    assert job.status == JobStatus.FAILED
    assert "fonts-noto-cjk" in job.message
    assert brief.draft_files == {}
    assert not files.root().exists()


def test_a_font_given_by_file_is_embedded(figures, tour, run_jobs, settings):
    from guozi.lib.pdf import cjk_font

    settings.GUOZI_CJK_FONT = str(cjk_font().path)
    job, brief = generate(figures, tour, run_jobs)
    assert job.status == JobStatus.SUCCEEDED, job.message
    pdf = pypdf.PdfReader(io.BytesIO(files.path_of(brief.draft_files["pdf"]).read_bytes()))
    assert any("CJK" in name for name in pdf_fonts(pdf))
    assert STOP_NAMES[0] in pdf.pages[0].extract_text()
