/** The lab API's errors: thrown in the workers, recognised by the UI by their `name` (it survives structured cloning). */

/** Thrown (as the rejection of loadModel/train) when a model does not fit the device: `message` is the estimate's reason. */
export class ModelTooLargeError extends Error {
  override name = 'ModelTooLargeError';
}
