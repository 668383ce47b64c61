"""The clock-figures benchmark runs (tiny sizes) and its table reads its results."""

from __future__ import annotations

from tests.bench import clock_figures


def test_the_benchmark_measures_each_age_and_writes_its_table(monkeypatch):
    monkeypatch.setattr(clock_figures, "CLOCKS", 4)
    monkeypatch.setattr(clock_figures, "REPEAT", 2)
    office = clock_figures._calendars()["office (Moscow, RU holidays)"]
    rows = [{"calendar": "office", "age": age, **clock_figures.measure(office, days)}
            for age, days in clock_figures.AGES.items()]
    assert all(row["same_day_ms"] > 0 and row["walked_whole_ms"] > 0 for row in rows)
    table = clock_figures._table({"machine": "test", "date": "today", "rows": rows, "flatness": 1.0})
    assert table.count("| office |") == 3 and "goal ≤ ×1.5" in table
