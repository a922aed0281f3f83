"""Board and seed selection rules behind --smh-board, smh_board and smh_stress."""

from __future__ import annotations

import pytest

from smh_boot.testing.selection import (
    DEFAULT_STRESS_SEEDS,
    BoardChoice,
    SelectionError,
    boards_for_test,
    check_pinned,
    resolve_boards,
    restricts_pins,
    seeds_for_test,
    split_names,
    stress_seed_count,
)

KNOWN = ["b_board", "a_board", "c_board"]


def test_split_names_accepts_commas_and_repeats():
    assert split_names(["a,b", " c ", ",", "d,"]) == ["a", "b", "c", "d"]


def test_no_request_selects_the_default_board():
    assert resolve_boards([], KNOWN, "b_board") == ["b_board"]


def test_all_expands_sorted_and_duplicates_are_dropped():
    assert resolve_boards(["c_board", "all"], KNOWN, "b_board") == ["c_board", "a_board", "b_board"]
    assert resolve_boards(["a_board,a_board"], KNOWN, "b_board") == ["a_board"]


def test_unknown_board_lists_the_known_ones():
    with pytest.raises(SelectionError, match=r"unknown board 'nope'; known boards: a_board, b_board, c_board"):
        resolve_boards(["nope"], KNOWN, "b_board")


def test_board_yaml_paths_pass_through():
    assert resolve_boards(["my/board.yaml"], KNOWN, "b_board") == ["my/board.yaml"]


def test_unpinned_test_runs_on_the_selection():
    assert boards_for_test(["a_board", "c_board"], True, None) == [BoardChoice("a_board"), BoardChoice("c_board")]


def test_pinned_test_runs_on_its_boards_without_an_explicit_selection():
    assert boards_for_test(["b_board"], False, ["c_board", "a_board"]) == [
        BoardChoice("c_board"), BoardChoice("a_board")]


def test_pinned_test_runs_on_the_intersection_with_an_explicit_selection():
    assert boards_for_test(["a_board", "b_board"], True, ["c_board", "a_board"]) == [BoardChoice("a_board")]


def test_pinned_test_outside_an_explicit_selection_is_one_skipped_parameter():
    (choice,) = boards_for_test(["b_board"], True, ["c_board", "a_board"])
    assert choice.board == "c_board"
    assert choice.skip == "pinned to c_board, a_board; not among the selected boards (b_board)"


def test_check_pinned_rejects_empty_and_unknown():
    with pytest.raises(SelectionError, match="at least one board"):
        check_pinned([], KNOWN)
    with pytest.raises(SelectionError, match="unknown board 'x'"):
        check_pinned(["a_board", "x"], KNOWN)
    check_pinned(["a_board", "dir/custom.yml"], KNOWN)


@pytest.mark.parametrize("args,kwargs,n", [((), {}, DEFAULT_STRESS_SEEDS), ((3,), {}, 3), ((), {"seeds": 7}, 7)])
def test_stress_seed_count(args, kwargs, n):
    assert stress_seed_count(args, kwargs) == n


@pytest.mark.parametrize("args,kwargs", [((0,), {}), ((), {"seeds": "4"}), ((), {"seeds": True}),
                                         ((1, 2), {}), ((), {"count": 2}), ((2,), {"seeds": 2})])
def test_stress_seed_count_rejects_bad_markers(args, kwargs):
    with pytest.raises(SelectionError):
        stress_seed_count(args, kwargs)


def test_seeds_start_at_the_base_and_an_explicit_seed_runs_alone():
    assert seeds_for_test(10, False, 3) == [10, 11, 12]
    assert seeds_for_test(7, True, 3) == [7]


def test_only_a_named_selection_restricts_pinned_tests():
    assert not restricts_pins([])
    assert not restricts_pins(["all"]) and not restricts_pins(["a_board,all"])
    assert restricts_pins(["a_board"])
