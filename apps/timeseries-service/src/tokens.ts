/** Injection token of the validated {@link TimeSeriesLimits}. */
export const TIMESERIES_LIMITS = Symbol('nextx.timeseries.limits');
/** Injection token of the fit {@link GenerationService} (worker pool behind the admission queue). */
export const TIMESERIES_FITS = Symbol('nextx.timeseries.fits');
/** Injection token of the pretrained-forecaster {@link GenerationService} (its own pool and queue). */
export const TIMESERIES_CHRONOS = Symbol('nextx.timeseries.chronos');
/** Injection token of the {@link ChronosCatalog} (the repository's pretrained forecasters). */
export const TIMESERIES_CHRONOS_CATALOG = Symbol('nextx.timeseries.chronos-catalog');
/** Injection token of the validated {@link ChronosSettings}. */
export const TIMESERIES_CHRONOS_SETTINGS = Symbol('nextx.timeseries.chronos-settings');
