"""The benchmark results file: goals are judged from the value, other figures are kept."""

from bench.results import Figure, format_table, record


def test_goal_is_judged_from_the_value() -> None:
    assert Figure("ratio", 0.95, "ratio", ">= 0.9").met is True
    assert Figure("ratio", 0.85, "ratio", ">= 0.9").met is False
    assert Figure("p99", 1200.0, "ms", "<= 1000").met is False
    assert Figure("rss", 80.0, "MiB").met is None


def test_record_merges_with_figures_already_written(tmp_path) -> None:
    path = tmp_path / "results.json"
    record([Figure("a", 1.0, "s", "< 5")], path)
    document = record([Figure("b", 2.0, "MiB")], path)
    assert document == {
        "a": {"value": 1.0, "unit": "s", "goal": "< 5", "met": True},
        "b": {"value": 2.0, "unit": "MiB", "goal": None, "met": None},
    }
    assert "NO" not in format_table(document)
    assert format_table({"c": Figure("c", 7.0, "s", "< 5").as_dict()}).endswith("NO")
