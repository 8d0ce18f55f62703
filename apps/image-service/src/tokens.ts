/** Injection token of the validated {@link ImageServiceSettings}. */
export const IMAGE_SETTINGS = Symbol('nextx.image.settings');
/** Injection token of the {@link ImageCatalog}. */
export const IMAGE_CATALOG = Symbol('nextx.image.catalog');
/** Injection token of the image {@link GenerationService} (worker pool behind the admission queue). */
export const IMAGE_GENERATION = Symbol('nextx.image.generation');
