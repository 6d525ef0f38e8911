"""The solver and the loop on a toy quadratic, without any estimator.

The toy objective is ``f(w) = (w - c).T @ H @ (w - c) / 2 + 1`` with a
diagonal ``H`` (the 1 makes a relative tolerance meaningful at the minimum)
and an L2 penalty on every row but the last (the "intercept"): its
minimiser is known in closed form, and its curvature is ``max(H)``.
"""

import numpy as np
import pytest

from sklearn_simple import DivergenceError
from sklearn_simple._loop import EpochHooks, LoopSettings, TrainingState, train
from sklearn_simple._objective import Evaluation, L2Penalty
from sklearn_simple._optimizers import OPTIMIZERS, GradientDescent, Nesterov
from sklearn_simple._passes import count_passes, record_passes
from sklearn_simple._solver import SolverState, full_batch_step, lookahead

CURVATURES = np.array([4.0, 1.0, 0.25, 0.5])
CENTER = np.array([[1.0], [-2.0], [3.0], [0.5]])


class _Smooth:
    smooth = True
    curvature, smallest_curvature = CURVATURES.max(), CURVATURES.min()


class ToyQuadratic:
    """An objective with the interface the solver and the loop need."""

    xp, device, dtype = np, None, np.float64
    loss = _Smooth()

    def __init__(self, alpha=0.0):
        self.penalty = L2Penalty(alpha, np.ones(3))

    def value(self, w):
        d = w - CENTER
        return 0.5 * float(np.sum(CURVATURES[:, None] * d * d)) + 1.0

    def evaluate(self, weights, lookahead=None, **hints):
        record_passes(1.0)
        point = weights if lookahead is None else lookahead
        gradient = CURVATURES[:, None] * (point - CENTER)
        return Evaluation(self.value(weights), self.value(point), gradient)

    def null_loss(self):
        return self.value(np.zeros_like(CENTER))

    def minimiser(self):
        alpha = self.penalty.alpha
        shrink = np.append(CURVATURES[:3] / (CURVATURES[:3] + alpha), 1.0)
        return shrink[:, None] * CENTER


def _start(step):
    zeros = np.zeros_like(CENTER)
    solver = SolverState(zeros, zeros, step)
    return TrainingState(None, solver, np.random.RandomState(0), None)


def _train(optimizer, alpha=0.0, learning_rate=1.0, max_epochs=500, hooks=None):
    toy = ToyQuadratic(alpha)
    state = _start(learning_rate / CURVATURES.max())
    settings = LoopSettings(
        max_epochs=max_epochs,
        tol=1e-14,
        n_iter_no_change=20,
        learning_rate=learning_rate,
    )
    outcome = train(
        toy, OPTIMIZERS[optimizer](), state, settings, rows=range(1), hooks=hooks
    )
    return toy, state, outcome


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
@pytest.mark.parametrize("alpha", [0.0, 0.7])
def test_every_optimizer_reaches_the_minimiser(optimizer, alpha):
    toy, state, outcome = _train(optimizer, alpha)
    assert outcome.stopped
    np.testing.assert_allclose(state.solver.weights, toy.minimiser(), atol=1e-5)


def test_the_loss_history_records_every_epoch():
    _, state, _ = _train("gd")
    assert len(state.history) > 1
    assert state.history[-1] == pytest.approx(1.0, abs=1e-10)


def test_gradient_descent_at_the_safe_step_never_raises_the_loss():
    _, state, _ = _train("gd")
    assert np.all(np.diff(state.history) <= 0)


def test_acceleration_takes_fewer_epochs_than_gradient_descent():
    _, gd, _ = _train("gd")
    _, nesterov, _ = _train("nesterov")
    assert len(nesterov.history) < len(gd.history)


def test_a_full_batch_step_reads_the_data_once_without_a_restart():
    toy = ToyQuadratic()
    state = SolverState(np.zeros_like(CENTER), np.zeros_like(CENTER), 0.25)
    evaluation = toy.evaluate(state.weights)
    with count_passes() as count:
        full_batch_step(toy, Nesterov(), state, evaluation)
    assert count.passes == 1


def test_the_lookahead_extrapolates_along_the_last_move():
    state = SolverState(np.ones((2, 1)), np.zeros((2, 1)), 1.0, t=3.0)
    beta = Nesterov().momentum(3.0, stochastic=False)
    np.testing.assert_allclose(lookahead(Nesterov(), state), 1.0 + beta)
    assert lookahead(GradientDescent(), state) is state.weights


def test_a_rate_far_above_two_diverges():
    with pytest.raises(DivergenceError, match=r"learning_rate=5\.0"):
        _train("gd", learning_rate=5.0)


class _StopAtThird(EpochHooks):
    def __init__(self):
        self.seen = []

    def begin(self, epoch, weights):
        self.seen.append(epoch)

    def end(self, epoch, weights, loss, score, step, excess):
        return epoch == 3


def test_a_hook_can_stop_training():
    hooks = _StopAtThird()
    _, state, outcome = _train("nesterov", hooks=hooks)
    assert hooks.seen == [1, 2, 3]
    assert len(state.history) == 3 and outcome.stopped


def test_max_epochs_ends_training_without_stopping():
    _, state, outcome = _train("gd", max_epochs=2)
    assert len(state.history) == 2 and not outcome.stopped
