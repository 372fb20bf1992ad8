"""Version diffs: line rows with word-level marks, always escaped."""

import re

from knowledge.diff import diff_contents, diff_lines, word_diff


def test_word_diff_marks_only_the_changed_word():
    old, new = word_diff("Restart the printer now", "Restart the computer now")
    assert str(old) == "Restart the <del>printer</del> now"
    assert str(new) == "Restart the <ins>computer</ins> now"


def test_diff_lines_rows_and_line_numbers():
    rows = diff_lines("a\nb\nc", "a\nB\nc\nd")
    assert [(r.kind, r.old_line, r.new_line) for r in rows] == [
        ("equal", 1, 1),
        ("delete", 2, None),
        ("insert", None, 2),
        ("equal", 3, 3),
        ("insert", None, 4),
    ]


def test_long_unchanged_runs_collapse():
    old = "\n".join(f"line {i}" for i in range(40))
    new = old.replace("line 20", "line twenty")
    rows = diff_lines(old, new, context=2)
    assert [r.kind for r in rows].count("gap") == 2
    assert len(rows) < 12


def test_diff_escapes_html():
    rows = diff_lines("<script>alert(1)</script>", "<b>x</b>")
    html = "".join(str(r.html) for r in rows)
    tags = set(re.findall(r"</?([a-z]+)", html))
    assert tags <= {"del", "ins"}
    assert "&lt;" in html


def test_diff_contents_reports_title_and_body():
    fields, body = diff_contents(
        {"title": "Old title", "summary": "s", "body": "x"},
        {"title": "New title", "summary": "s", "body": "x"},
    )
    assert [f.name for f in fields] == ["title"]
    assert body == []
