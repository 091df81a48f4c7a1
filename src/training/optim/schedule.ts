/**
 * Learning-rate schedules as multipliers of the base lr, written like transformers' lr_lambda functions.
 * The multiplier for optimizer update k (0-based) is lambda(k): the HF Trainer calls optimizer.step()
 * before lr_scheduler.step(), and LambdaLR sets lr = base * lambda(0) at construction, so with warmup
 * the very first update runs at lr 0.
 */

export type SchedulerName = 'linear' | 'constant' | 'constant-with-warmup' | 'cosine';

export const schedulerNames: readonly SchedulerName[] = ['linear', 'constant', 'constant-with-warmup', 'cosine'];

export interface ScheduleOptions {
  warmupSteps: number;
  totalSteps: number;
}

/** lr multiplier for optimizer update `step` (0-based) */
export function lrLambda(name: SchedulerName, step: number, { warmupSteps, totalSteps }: ScheduleOptions): number {
  const warm = () => step / Math.max(1, warmupSteps);
  switch (name) {
    case 'constant':
      return 1;
    case 'constant-with-warmup': // get_constant_schedule_with_warmup
      return step < warmupSteps ? warm() : 1;
    case 'linear': // get_linear_schedule_with_warmup
      if (step < warmupSteps) return warm();
      return Math.max(0, (totalSteps - step) / Math.max(1, totalSteps - warmupSteps));
    case 'cosine': {
      // get_cosine_schedule_with_warmup, num_cycles 0.5
      if (step < warmupSteps) return warm();
      const progress = (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps);
      return Math.max(0, 0.5 * (1 + Math.cos(Math.PI * 2 * 0.5 * progress)));
    }
    default:
      throw new Error(`unknown scheduler "${name as string}" (supported: ${schedulerNames.join(', ')})`);
  }
}

/** The lr of every update 0..totalSteps-1 (handy for tests and the UI's lr plot). */
export function lrSequence(name: SchedulerName, lr: number, opts: ScheduleOptions): number[] {
  return Array.from({ length: opts.totalSteps }, (_, k) => lr * lrLambda(name, k, opts));
}

/** TrainingArguments.get_warmup_steps: explicit steps win, else ceil(ratio * total). */
export function warmupStepsFor(totalSteps: number, warmupSteps = 0, warmupRatio = 0): number {
  return warmupSteps > 0 ? warmupSteps : Math.ceil(totalSteps * warmupRatio);
}
