/** Injection token of the validated {@link ImageServiceSettings}. */
export const IMAGE_SETTINGS = Symbol('nextx.image.settings');
/** Injection token of the {@link ImageCatalog}. */
export const IMAGE_CATALOG = Symbol('nextx.image.catalog');
