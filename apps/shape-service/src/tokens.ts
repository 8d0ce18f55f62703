/** Injection token of the validated {@link ShapeServiceSettings}. */
export const SHAPE_SETTINGS = Symbol('nextx.shape.settings');
/** Injection token of the {@link ShapeCatalog}. */
export const SHAPE_CATALOG = Symbol('nextx.shape.catalog');
/** Injection token of the shape {@link GenerationService} (worker pool behind the admission queue). */
export const SHAPE_GENERATION = Symbol('nextx.shape.generation');
