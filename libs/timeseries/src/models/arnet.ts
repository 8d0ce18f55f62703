import { createRng, GenerationAbortedError, type Rng } from '@nextx/engine';
import { lagDesign } from './lag-design';
import type { OneStepPredictor } from './linear-ar';

/** AR-Net training settings (defaults follow the official `arnet` code where it has one). */
export interface ArNetOptions {
  /** Number of lags p. */
  readonly order: number;
  /** Hidden layer sizes (ReLU); empty = one linear layer, the AR-Net of the paper. */
  readonly hiddenLayers?: readonly number[];
  /** Expected share of non-zero lag weights in (0, 1]; undefined or 1 = no regulariser. */
  readonly sparsity?: number;
  /** Epochs; 0 or undefined = enough for about {@link AUTO_STEPS} optimiser steps (20 … 1000). */
  readonly epochs?: number;
  /** Peak learning rate of the one-cycle schedule. */
  readonly learningRate?: number;
  /** Mini-batch size. */
  readonly batchSize?: number;
  /** Seed of weight init and batch order. */
  readonly seed: number;
}

/** Optimiser steps aimed for when epochs are chosen automatically. */
export const AUTO_STEPS = 3000;
const DEFAULT_LEARNING_RATE = 1e-2;
const DEFAULT_BATCH_SIZE = 32;
/** Sparsity regulariser shape, as in the official code (the paper uses 3, 3). */
const REG_C1 = 2;
const REG_C2 = 2;
/** The regulariser reaches full strength after this share of training. */
const REG_RAMP_END = 0.5;

/** One dense layer, row-major weight [out × in]. */
interface DenseLayer {
  readonly inputs: number;
  readonly outputs: number;
  readonly weight: Float64Array;
  readonly bias: Float64Array;
}

/** A fitted AR-Net: predicts the next value from the previous `order` values. */
export class ArNetModel implements OneStepPredictor {
  readonly order: number;

  constructor(
    private readonly layers: readonly DenseLayer[],
    /** Mean and scale used to standardise the series before training. */
    private readonly mean: number,
    private readonly scale: number,
  ) {
    this.order = layers[0].inputs;
  }

  predictAt(history: ArrayLike<number>, end: number): number {
    let activation = new Float64Array(this.order);
    for (let i = 0; i < this.order; i++)
      activation[i] = (history[end - 1 - i] - this.mean) / this.scale;
    this.layers.forEach((layer, index) => {
      const out = new Float64Array(layer.outputs);
      for (let o = 0; o < layer.outputs; o++) {
        let sum = layer.bias[o];
        const row = o * layer.inputs;
        for (let i = 0; i < layer.inputs; i++) sum += layer.weight[row + i] * activation[i];
        out[o] = index < this.layers.length - 1 ? Math.max(0, sum) : sum;
      }
      activation = out;
    });
    return activation[0] * this.scale + this.mean;
  }

  /**
   * The equivalent linear AR model in the original units (only for AR-Net without hidden layers):
   * standardisation cancels in the lag weights and moves into the intercept.
   */
  linearCoefficients(): { coefficients: Float64Array; intercept: number } | undefined {
    if (this.layers.length !== 1) return undefined;
    const [layer] = this.layers;
    const coefficients = Float64Array.from(layer.weight);
    const weightSum = coefficients.reduce((a, b) => a + b, 0);
    return { coefficients, intercept: this.mean * (1 - weightSum) + layer.bias[0] * this.scale };
  }
}

/** What training did, next to the model. */
export interface ArNetFit {
  readonly model: ArNetModel;
  readonly epochs: number;
  readonly steps: number;
  /** Mean Huber loss of the last epoch (standardised units, without the regulariser). */
  readonly finalLoss: number;
}

/**
 * Fits AR-Net (Triebe et al. 2019): dense layers over p standardised lags, smooth-L1 (Huber)
 * loss, Adam with a one-cycle learning-rate schedule, and the sparsity regulariser
 * R(w) = mean(2 / (1 + exp(−c1·|w|^(1/c2))) − 1) on the lag weights, its strength
 * λ_max = 0.01·(1/sparsity − 1) ramped in quadratically over the first half of training.
 */
export function fitArNet(
  values: ArrayLike<number>,
  options: ArNetOptions,
  cancelled?: () => boolean,
): ArNetFit {
  const order = options.order;
  const design = lagDesign(values, order);
  const { mean, scale } = standardisation(values);
  const x = design.x.map((v) => (v - mean) / scale);
  const y = design.y.map((v) => (v - mean) / scale);

  const rng = createRng(options.seed);
  const sizes = [order, ...(options.hiddenLayers ?? []), 1];
  const layers = sizes.slice(1).map((outputs, i) => initLayer(sizes[i], outputs, rng));
  const optimiser = new Adam(layers);

  const batchSize = Math.min(options.batchSize || DEFAULT_BATCH_SIZE, design.rows);
  const batchesPerEpoch = Math.ceil(design.rows / batchSize);
  const epochs =
    options.epochs || Math.min(1000, Math.max(20, Math.ceil(AUTO_STEPS / batchesPerEpoch)));
  const totalSteps = epochs * batchesPerEpoch;
  const peakLr = options.learningRate || DEFAULT_LEARNING_RATE;
  const sparsity = options.sparsity;
  const lambdaMax =
    sparsity !== undefined && sparsity > 0 && sparsity < 1 ? 0.01 * (1 / sparsity - 1) : 0;

  const order_ = new Uint32Array(design.rows).map((_, i) => i);
  const workspace = new Workspace(sizes, batchSize);
  let step = 0;
  let epochLoss = 0;
  for (let epoch = 0; epoch < epochs; epoch++) {
    // A cancelled call or a passed deadline stops the fit within one epoch.
    if (cancelled?.()) throw new GenerationAbortedError(epoch);
    shuffle(order_, rng);
    epochLoss = 0;
    for (let start = 0; start < design.rows; start += batchSize) {
      const batch = order_.subarray(start, Math.min(start + batchSize, design.rows));
      const progress = step / totalSteps;
      epochLoss += workspace.backward(layers, x, y, batch, order) * batch.length;
      const ramp = Math.min(1, progress / REG_RAMP_END);
      if (lambdaMax > 0)
        addSparsityGradient(layers[0], workspace.gradients[0].weight, lambdaMax * ramp * ramp);
      optimiser.step(workspace.gradients, oneCycleLr(progress, peakLr));
      step++;
    }
    epochLoss /= design.rows;
  }
  return { model: new ArNetModel(layers, mean, scale), epochs, steps: step, finalLoss: epochLoss };
}

/**
 * Mean and standard deviation of the series, computed without overflow: a running mean, and
 * the spread measured in units of the largest deviation (squares of values ≥ 1e155 overflow).
 */
function standardisation(values: ArrayLike<number>): { mean: number; scale: number } {
  let mean = 0;
  for (let i = 0; i < values.length; i++) mean += (values[i] - mean) / (i + 1);
  let largest = 0;
  for (let i = 0; i < values.length; i++) largest = Math.max(largest, Math.abs(values[i] - mean));
  if (!(largest > 0) || !Number.isFinite(largest)) return { mean, scale: 1 };
  let variance = 0;
  for (let i = 0; i < values.length; i++) variance += ((values[i] - mean) / largest) ** 2;
  const scale = largest * Math.sqrt(variance / values.length);
  return { mean, scale: scale > 0 ? scale : 1 };
}

/** PyTorch's default Linear init: U(−1/√fan_in, 1/√fan_in). */
function initLayer(inputs: number, outputs: number, rng: Rng): DenseLayer {
  const bound = 1 / Math.sqrt(inputs);
  const uniform = () => (2 * rng.uniform() - 1) * bound;
  return {
    inputs,
    outputs,
    weight: Float64Array.from({ length: inputs * outputs }, uniform),
    bias: Float64Array.from({ length: outputs }, uniform),
  };
}

function shuffle(items: Uint32Array, rng: Rng): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const tmp = items[i];
    items[i] = items[j];
    items[j] = tmp;
  }
}

/** fastai's `fit_one_cycle` learning rate: cosine up from lr/25 over 25 %, cosine down to lr/1e5. */
export function oneCycleLr(progress: number, peak: number): number {
  const warm = 0.25;
  const cos = (from: number, to: number, p: number) =>
    to + ((from - to) * (1 + Math.cos(Math.PI * p))) / 2;
  return progress < warm
    ? cos(peak / 25, peak, progress / warm)
    : cos(peak, peak / 1e5, (progress - warm) / (1 - warm));
}

/** Adds λ·∂R/∂w of the sparsity regulariser to the lag-weight gradient. */
function addSparsityGradient(layer: DenseLayer, gradient: Float64Array, lambda: number): void {
  if (lambda === 0) return;
  const n = layer.weight.length;
  for (let i = 0; i < n; i++) {
    const w = layer.weight[i];
    // |w| is floored so that the |w|^(1/c2 − 1) factor stays finite at w = 0.
    const abs = Math.max(Math.abs(w), 1e-12);
    const a = abs ** (1 / REG_C2);
    const s = 1 / (1 + Math.exp(-REG_C1 * a));
    const dR = (2 * s * (1 - s) * REG_C1 * (a / abs) * Math.sign(w)) / REG_C2;
    gradient[i] += (lambda * dR) / n;
  }
}

/** Regulariser value, exported so tests can check the gradient against it. */
export function sparsityPenalty(weights: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < weights.length; i++) {
    sum += 2 / (1 + Math.exp(-REG_C1 * Math.abs(weights[i]) ** (1 / REG_C2))) - 1;
  }
  return sum / weights.length;
}

interface LayerGradient {
  readonly weight: Float64Array;
  readonly bias: Float64Array;
}

/** Preallocated activations and gradients for one mini-batch (no allocation per step). */
class Workspace {
  readonly gradients: LayerGradient[];
  private readonly activations: Float64Array[];
  private readonly deltas: Float64Array[];

  constructor(
    private readonly sizes: readonly number[],
    private readonly batchSize: number,
  ) {
    this.gradients = sizes.slice(1).map((out, i) => ({
      weight: new Float64Array(out * sizes[i]),
      bias: new Float64Array(out),
    }));
    this.activations = sizes.map((size) => new Float64Array(size * batchSize));
    this.deltas = sizes.map((size) => new Float64Array(size * batchSize));
  }

  /** Forward + backward of the mean Huber loss over `batch`; returns the loss. */
  backward(
    layers: readonly DenseLayer[],
    x: Float64Array,
    y: Float64Array,
    batch: Uint32Array,
    order: number,
  ): number {
    const b = batch.length;
    const input = this.activations[0];
    for (let r = 0; r < b; r++)
      input.set(x.subarray(batch[r] * order, (batch[r] + 1) * order), r * order);
    const last = layers.length - 1;
    layers.forEach((layer, l) => {
      const inp = this.activations[l];
      const out = this.activations[l + 1];
      for (let r = 0; r < b; r++) {
        for (let o = 0; o < layer.outputs; o++) {
          let sum = layer.bias[o];
          const row = o * layer.inputs;
          const base = r * layer.inputs;
          for (let i = 0; i < layer.inputs; i++) sum += layer.weight[row + i] * inp[base + i];
          out[r * layer.outputs + o] = l < last ? Math.max(0, sum) : sum;
        }
      }
    });
    // Huber (smooth-L1, β = 1) loss and its gradient at the output.
    let loss = 0;
    const prediction = this.activations[layers.length];
    const delta = this.deltas[layers.length];
    for (let r = 0; r < b; r++) {
      const d = prediction[r] - y[batch[r]];
      const abs = Math.abs(d);
      loss += abs < 1 ? 0.5 * d * d : abs - 0.5;
      delta[r] = Math.max(-1, Math.min(1, d)) / b;
    }
    for (let l = last; l >= 0; l--) {
      const layer = layers[l];
      const grad = this.gradients[l];
      const inp = this.activations[l];
      const dOut = this.deltas[l + 1];
      grad.weight.fill(0);
      grad.bias.fill(0);
      for (let r = 0; r < b; r++) {
        for (let o = 0; o < layer.outputs; o++) {
          const g = dOut[r * layer.outputs + o];
          if (g === 0) continue;
          grad.bias[o] += g;
          const row = o * layer.inputs;
          const base = r * layer.inputs;
          for (let i = 0; i < layer.inputs; i++) grad.weight[row + i] += g * inp[base + i];
        }
      }
      if (l > 0) {
        const dIn = this.deltas[l];
        for (let r = 0; r < b; r++) {
          for (let i = 0; i < layer.inputs; i++) {
            // ReLU derivative: the input activation of a hidden layer is zero where it was clipped.
            if (inp[r * layer.inputs + i] <= 0) {
              dIn[r * layer.inputs + i] = 0;
              continue;
            }
            let sum = 0;
            for (let o = 0; o < layer.outputs; o++)
              sum += dOut[r * layer.outputs + o] * layer.weight[o * layer.inputs + i];
            dIn[r * layer.inputs + i] = sum;
          }
        }
      }
    }
    return loss / b;
  }
}

/** Adam (β1 0.9, β2 0.99 as fastai), updating the layers in place. */
class Adam {
  private readonly m: LayerGradient[];
  private readonly v: LayerGradient[];
  private t = 0;

  constructor(private readonly layers: readonly DenseLayer[]) {
    const zeros = () =>
      layers.map((l) => ({
        weight: new Float64Array(l.weight.length),
        bias: new Float64Array(l.bias.length),
      }));
    this.m = zeros();
    this.v = zeros();
  }

  step(gradients: readonly LayerGradient[], lr: number): void {
    const beta1 = 0.9;
    const beta2 = 0.99;
    const eps = 1e-8;
    this.t++;
    const c1 = 1 - beta1 ** this.t;
    const c2 = 1 - beta2 ** this.t;
    this.layers.forEach((layer, l) => {
      for (const key of ['weight', 'bias'] as const) {
        const param = layer[key];
        const g = gradients[l][key];
        const m = this.m[l][key];
        const v = this.v[l][key];
        for (let i = 0; i < param.length; i++) {
          m[i] = beta1 * m[i] + (1 - beta1) * g[i];
          v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i];
          param[i] -= (lr * (m[i] / c1)) / (Math.sqrt(v[i] / c2) + eps);
        }
      }
    });
  }
}
