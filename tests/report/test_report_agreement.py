"""The report's reader-agreement section: Bland-Altman plots only when readers are present."""

from __future__ import annotations

from alignment.report.html import render_report
from tests.stats.conftest import make_results


def test_reader_agreement_section_when_readers_are_present():
    results, _ = make_results(readers=("R1", "R2", "auto"), reader_noise=0.4)
    page = render_report(results=results)
    assert '<section id="agreement"><h2>Reader agreement</h2>' in page
    section = page.split('<section id="agreement">')[1].split("</section>")[0]
    # 8 numeric measures x 3 reader pairs; the categorical CPAK type is not plotted
    assert section.count("<figure") == 24 and section.count("<svg") == 24
    assert "R1 vs auto" in section and 'data-measure="cpak"' not in section
    assert '<a href="#agreement">' in page


def test_no_agreement_section_with_one_reader():
    results, _ = make_results()
    page = render_report(results=results)
    assert 'id="agreement"' not in page
