/** A one-step-ahead autoregressive predictor over the last `order` values. */
export interface OneStepPredictor {
  readonly order: number;
  /** Predicts the value at index `end` from `history[end - order .. end - 1]`. */
  predictAt(history: ArrayLike<number>, end: number): number;
}

/** y_t = intercept + Σ coefficients[i] · y_{t-1-i}. */
export class LinearArModel implements OneStepPredictor {
  readonly order: number;

  constructor(
    readonly coefficients: Float64Array,
    readonly intercept: number,
  ) {
    this.order = coefficients.length;
  }

  predictAt(history: ArrayLike<number>, end: number): number {
    let value = this.intercept;
    for (let i = 0; i < this.order; i++) value += this.coefficients[i] * history[end - 1 - i];
    return value;
  }
}

/** One-step-ahead in-sample residuals `y_t − ŷ_t` for t = order … n − 1. */
export function inSampleResiduals(
  model: OneStepPredictor,
  values: ArrayLike<number>,
): Float64Array {
  const residuals = new Float64Array(values.length - model.order);
  for (let t = model.order; t < values.length; t++) {
    residuals[t - model.order] = values[t] - model.predictAt(values, t);
  }
  return residuals;
}
