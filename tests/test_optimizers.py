"""Weight decay after clipping (PyTorch's order), checked against NumPy on the active
backend: one Adam and one SGD step by hand, the composition with a LossScaleOptimizer,
the equality of both coupled orders without clipping, and what it does to run ids."""

import keras
import numpy as np
import pytest

from kerasnoise import config as cfg
from kerasnoise import models, optimizers, presets

RNG = np.random.default_rng(0)
W = [RNG.normal(size=(3, 4)).astype("float32"), RNG.normal(size=(4,)).astype("float32")]
G = [RNG.normal(size=(3, 4)).astype("float32"), RNG.normal(size=(4,)).astype("float32")]
WD, CLIP = 1e-3, 0.1


def numpy_clip(grads, clipnorm):
    norm = np.sqrt(sum(np.sum(g.astype(np.float64) ** 2) for g in grads))
    return [g * clipnorm / max(norm, clipnorm) for g in grads]


def numpy_adam(w, grads, steps, lr=1e-3, b1=0.9, b2=0.999, eps=1e-8):
    """PyTorch's loop: clip_grad_norm_(CLIP), then Adam(weight_decay=WD) adds wd * w."""
    w = [x.astype(np.float64) for x in w]
    m = [np.zeros_like(x) for x in w]
    v = [np.zeros_like(x) for x in w]
    for t in range(1, steps + 1):
        g = [c + WD * x for c, x in zip(numpy_clip(grads, CLIP), w, strict=True)]
        for i in range(len(w)):
            m[i] = b1 * m[i] + (1 - b1) * g[i]
            v[i] = b2 * v[i] + (1 - b2) * g[i] ** 2
            alpha = lr * np.sqrt(1 - b2**t) / (1 - b1**t)  # Keras's form of Adam's bias fix
            w[i] = w[i] - alpha * m[i] / (np.sqrt(v[i]) + eps)
    return w


def numpy_nesterov_sgd(w, grads, steps, lr=0.1, momentum=0.1):
    w = [x.astype(np.float64) for x in w]
    velocity = [np.zeros_like(x) for x in w]
    for _ in range(steps):
        g = [c + WD * x for c, x in zip(numpy_clip(grads, CLIP), w, strict=True)]
        for i in range(len(w)):
            velocity[i] = momentum * velocity[i] - lr * g[i]
            w[i] = w[i] + momentum * velocity[i] - lr * g[i]
    return w


def apply_steps(optimizer, steps, scale=1.0):
    """``steps`` updates with the gradients G (times ``scale``): ``apply`` eagerly, or on
    JAX, where a LossScaleOptimizer's update is traced, ``stateless_apply``."""
    variables = [keras.Variable(x) for x in W]
    grads = [keras.ops.convert_to_tensor(g * scale) for g in G]
    if keras.backend.backend() != "jax":
        for _ in range(steps):
            optimizer.apply(grads, variables)
        return [keras.ops.convert_to_numpy(v) for v in variables]
    optimizer.build(variables)
    values = [v.value for v in variables]
    state = [v.value for v in optimizer.variables]
    for _ in range(steps):
        values, state = optimizer.stateless_apply(state, grads, values)
    return [keras.ops.convert_to_numpy(v) for v in values]


def built(**optimizer):
    opt = cfg.OptimizerConfig(
        weight_decay=WD, weight_decay_mode="coupled_after_clip", global_clipnorm=CLIP, **optimizer
    )
    return optimizers.build(opt, steps_per_epoch=10)


def test_adam_step_equals_clip_then_decay_by_hand():
    optimizer = built(name="adam", learning_rate=1e-3, epsilon=1e-8)
    assert isinstance(optimizer, optimizers.AdamDecayAfterClip)
    got = apply_steps(optimizer, steps=3)
    for g, w in zip(got, numpy_adam(W, G, steps=3), strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-6, atol=1e-7)


def test_nesterov_sgd_step_equals_clip_then_decay_by_hand():
    optimizer = built(name="sgd", learning_rate=0.1, momentum=0.1, nesterov=True)
    got = apply_steps(optimizer, steps=2)
    for g, w in zip(got, numpy_nesterov_sgd(W, G, steps=2), strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-6, atol=1e-7)


def test_adagrad_as_keras_2_ran_it_in_patrini_et_al():
    """Accumulators from 0 (Keras 3 starts at 0.1), epsilon 1e-8: the first step moves
    each weight by about lr * sign(g); three steps against NumPy."""
    opt = cfg.OptimizerConfig(
        name="adagrad", learning_rate=0.01, epsilon=1e-8, initial_accumulator=0.0
    )
    optimizer = optimizers.build(opt, steps_per_epoch=10)
    assert isinstance(optimizer, keras.optimizers.Adagrad)
    got = apply_steps(optimizer, steps=3)
    for i, (w, g) in enumerate(zip(W, G, strict=True)):
        w, acc = w.astype(np.float64), np.zeros_like(w, dtype=np.float64)
        for _ in range(3):
            acc += g.astype(np.float64) ** 2
            w = w - 0.01 * g / np.sqrt(acc + 1e-8)
        np.testing.assert_allclose(got[i], w, rtol=1e-5, atol=1e-6)
    after_clip = built(name="adagrad", learning_rate=0.01)
    assert isinstance(after_clip, optimizers.AdagradDecayAfterClip)
    assert after_clip.get_config()["initial_accumulator_value"] == 0.1  # Keras 3's default


def test_a_setting_added_later_keeps_old_run_ids_at_its_default():
    """``optimizer.initial_accumulator`` is part of a run id only when not 0.1."""
    config = presets.get("menon-mnist-lenet")
    assert "initial_accumulator" not in config.run_key()["optimizer"]
    changed = cfg.apply_overrides(config, {"optimizer.initial_accumulator": 0.0})
    assert changed.run_key()["optimizer"]["initial_accumulator"] == 0.0
    assert changed.run_id() != config.run_id()


def test_loss_scale_optimizer_clips_the_unscaled_gradient():
    inner = built(name="adam", learning_rate=1e-3, epsilon=1e-8)
    scaled = keras.optimizers.LossScaleOptimizer(inner, initial_scale=1024.0)
    got = apply_steps(scaled, steps=2, scale=1024.0)
    for g, w in zip(got, numpy_adam(W, G, steps=2), strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)


def test_without_clipping_both_coupled_orders_are_one_update():
    """L2 in the loss and wd w after the (absent) clip: the same weights after training
    steps, to float rounding; so a run without clipping is the same run either way."""
    x = RNG.normal(size=(64, 28, 28, 1)).astype("float32")
    y = RNG.integers(0, 10, size=64)
    weights = []
    for mode in ("coupled", "coupled_after_clip"):
        keras.utils.set_random_seed(1)
        opt = cfg.OptimizerConfig(weight_decay=0.05, weight_decay_mode=mode)
        model = models.get("mlp1", weight_decay=0.05 if mode == "coupled" else None)
        forced = optimizers.AdamDecayAfterClip(coupled_weight_decay=0.05)
        optimizer = forced if mode == "coupled_after_clip" else optimizers.build(opt, 1)
        model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy")
        model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
        weights.append([keras.ops.convert_to_numpy(w) for w in model.weights])
    for a, b in zip(*weights, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
    # the config resolves it: no clipping means the L2 form, and the same id
    menon = presets.get("menon-mnist-lenet")
    assert menon.optimizer.effective_decay_mode() == "coupled"
    old = cfg.apply_overrides(menon, {"optimizer.weight_decay_mode": "coupled"})
    assert menon.run_id("tensorflow") == old.run_id("tensorflow")
    clipped = cfg.apply_overrides(menon, {"optimizer.global_clipnorm": 0.1})
    before = cfg.apply_overrides(old, {"optimizer.global_clipnorm": 0.1})
    assert clipped.optimizer.effective_decay_mode() == "coupled_after_clip"
    assert clipped.run_id("tensorflow") != before.run_id("tensorflow")  # new numbers, new id


def test_the_optimizer_serialises_with_its_decay(tmp_path):
    optimizer = built(name="adadelta", learning_rate=0.1, rho=0.9, epsilon=1e-6)
    again = keras.optimizers.deserialize(keras.optimizers.serialize(optimizer))
    assert isinstance(again, optimizers.AdadeltaDecayAfterClip)
    assert again.coupled_weight_decay == WD and again.global_clipnorm == CLIP
    model = models.get("perceptron")
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy")
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    assert loaded.optimizer.coupled_weight_decay == WD
    with pytest.raises(ValueError, match="coupled_weight_decay must be >= 0"):
        optimizers.SGDDecayAfterClip(coupled_weight_decay=-1.0)
