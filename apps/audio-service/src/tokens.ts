/** Injection token of the validated {@link AudioServiceSettings}. */
export const AUDIO_SETTINGS = Symbol('nextx.audio.settings');
/** Injection token of the {@link AudioCatalog}. */
export const AUDIO_CATALOG = Symbol('nextx.audio.catalog');
/** Injection token of the audio {@link GenerationService} (worker pool behind the admission queue). */
export const AUDIO_GENERATION = Symbol('nextx.audio.generation');
