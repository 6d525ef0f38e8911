"""Stopping rules: no improvement for a while, and divergence."""

import numpy as np

from sklearn_simple._stopping import Stopper, effective_tol, is_diverging, is_unsettled


def test_stops_after_n_epochs_without_relative_improvement():
    stopper = Stopper(tol=0.01, n_iter_no_change=3)
    assert not any(stopper.update(v) for v in [100.0, 50.0, 49.9, 49.8])
    assert stopper.update(49.7)


def test_an_improvement_resets_the_count():
    stopper = Stopper(tol=0.01, n_iter_no_change=2)
    stopper.update(10.0)
    stopper.update(10.0)
    stopper.update(5.0)
    assert stopper.no_improvement == 0


def test_a_loss_of_exactly_zero_counts_as_no_improvement():
    stopper = Stopper(tol=1e-4, n_iter_no_change=2)
    assert [stopper.update(0.0) for _ in range(3)] == [False, False, True]


def test_tol_none_never_stops():
    stopper = Stopper(tol=None, n_iter_no_change=1)
    assert not any(stopper.update(1.0) for _ in range(10))


def test_effective_tol_is_never_below_the_dtype_resolution():
    eps32, eps64 = np.finfo(np.float32).eps, np.finfo(np.float64).eps
    assert effective_tol(0.0, eps32) == 10 * eps32
    assert effective_tol(1e-3, eps64) == 1e-3
    assert effective_tol(None, eps64) is None


def test_non_finite_loss_is_divergence():
    assert is_diverging(
        [1.0, np.nan], start=1.0, null=1.0, best=1.0, window=5, full_batch=True
    )
    assert is_diverging(
        [1.0, np.inf], start=1.0, null=1.0, best=1.0, window=5, full_batch=False
    )


def test_loss_above_start_and_twice_best_is_divergence():
    assert is_diverging(
        [0.5, 3.0], start=1.0, null=1.0, best=0.5, window=5, full_batch=False
    )
    assert not is_diverging(
        [0.5, 0.9], start=1.0, null=1.0, best=0.5, window=5, full_batch=False
    )


def test_steady_rise_in_full_batch_is_divergence():
    losses = [0.5, 0.55, 0.6, 0.65, 0.7, 0.75]
    assert is_diverging(
        losses, start=1.0, null=1.0, best=0.5, window=5, full_batch=True
    )
    assert not is_diverging(
        losses, start=1.0, null=1.0, best=0.5, window=5, full_batch=False
    )


def test_converging_losses_are_not_divergence():
    losses = list(1.0 / np.arange(1, 20))
    best = min(losses)
    assert not is_diverging(
        losses, start=1.0, null=1.0, best=best, window=5, full_batch=True
    )


def test_rounding_noise_near_a_zero_loss_is_not_divergence():
    losses = [1e-31, 2e-31, 3e-31, 4e-31, 5e-31, 6e-31]
    assert not is_diverging(
        losses, start=1.0, null=1.0, best=1e-31, window=5, full_batch=True
    )


def test_ending_far_above_the_best_loss_is_unsettled():
    assert is_unsettled([5.0, 2.0, 1.0, 4.0], start=10.0)
    assert not is_unsettled([5.0, 2.0, 1.0, 1.5], start=10.0)
