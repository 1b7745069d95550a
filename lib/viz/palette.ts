/** How a stage is drawn after a run: its final state, with `cached` apart from `succeeded`. */
export type DrawnState = 'succeeded' | 'failed' | 'skipped' | 'cancelled' | 'cached' | 'not run';

/** How an attempt ended, in the timeline. */
export type AttemptOutcome = 'succeeded' | 'failed' | 'cancelled' | 'cached' | 'unfinished';

export interface Swatch {
  readonly fill: string;
  readonly stroke: string;
  /** Dashed border, so that the state does not rest on colour alone. */
  readonly dashed?: boolean;
}

// Light fills under dark text, a saturated border: readable printed in grey too, and the state
// is also written in each box.
export const stateSwatches: Readonly<Record<DrawnState, Swatch>> = {
  succeeded: { fill: '#dcfce7', stroke: '#15803d' },
  failed: { fill: '#fee2e2', stroke: '#dc2626' },
  skipped: { fill: '#fef9c3', stroke: '#a16207', dashed: true },
  cancelled: { fill: '#ffedd5', stroke: '#c2410c', dashed: true },
  cached: { fill: '#dbeafe', stroke: '#1d4ed8' },
  'not run': { fill: '#f8fafc', stroke: '#94a3b8', dashed: true },
};

/** Timeline bars: solid colours, white text. */
export const outcomeColors: Readonly<Record<AttemptOutcome, string>> = {
  succeeded: '#16a34a',
  failed: '#dc2626',
  cancelled: '#ea580c',
  cached: '#2563eb',
  unfinished: '#64748b',
};

/** Ink for text, edges and axes. */
export const ink = {
  text: '#0f172a',
  muted: '#475569',
  edge: '#64748b',
  grid: '#e2e8f0',
  critical: '#0f172a',
} as const;
