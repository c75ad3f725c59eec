from staleguard.report.markdown import cell, clip, fmt, table


def test_cell_escapes_pipes_and_cuts_long_values():
    assert cell("a|b\nc") == "a\\|b c"
    long = cell("x" * 500)
    assert len(long) == 80 and long.endswith("…")


def test_fmt_keeps_four_decimals_as_in_metrics_json():
    assert fmt(13.5832) == "13.5832"
    assert fmt(0.85) == "0.85"
    assert fmt(2.0) == "2"
    assert fmt(12345.5) == "12,345.5"
    assert fmt(["a", 1]) == "[a, 1]"


def test_table_cuts_rows_and_says_how_many_were_left_out():
    text = table(["k", "v"], [(i, i) for i in range(50)], max_rows=10, what="params")
    assert text.count("\n| ") == 10  # data rows; the header starts the text
    assert "40 more params not shown" in text


def test_clip_cuts_at_a_line_boundary_and_appends_the_note():
    text = "\n".join(f"line {i}" for i in range(1000))
    out = clip(text, 200, "_cut_")
    assert len(out) <= 200 and out.endswith("_cut_")
    assert all(line.startswith("line") for line in out.splitlines()[:-2])
    assert clip("short", 200, "_cut_") == "short"
