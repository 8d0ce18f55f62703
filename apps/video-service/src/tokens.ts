/** Injection token of the validated {@link VideoServiceSettings}. */
export const VIDEO_SETTINGS = Symbol('nextx.video.settings');
/** Injection token of the {@link VideoCatalog}. */
export const VIDEO_CATALOG = Symbol('nextx.video.catalog');
/** Injection token of the jobs configuration (undefined when Kafka is not configured). */
export const JOBS_CONFIG = Symbol('nextx.video.jobs-config');
/** Injection token of the clip {@link GenerationService} (worker pool behind the admission queue). */
export const VIDEO_GENERATION = Symbol('nextx.video.generation');
