import type { Need } from '../checks/types.js';
import type { BuildFacts, ContainerFacts, ImageFacts, ScriptFacts } from '../engine/facts.js';
import type { Progress } from '../engine/base-images.js';
import type { Lang } from '../i18n/lang.js';
import type { MessageId } from '../i18n/messages.js';
import type { Lab } from '../spec/schema.js';

export interface WorkloadOptions {
  lab: Lab;
  submissionDir: string;
  runId: string;
  labels: Record<string, string>;
  lang: Lang;
  progress: Progress;
  say: (id: MessageId, data?: Record<string, unknown>) => string;
}

/** What a workload produced for the checks to observe, and how to take it down. */
export interface PreparedWorkload {
  build?: BuildFacts;
  image?: ImageFacts;
  container?: ContainerFacts;
  script?: ScriptFacts;
  /** Why a need cannot be met (checks that need it are skipped with this reason). */
  unavailable: Partial<Record<Need, MessageId>>;
  unavailableReason?: string;
  notes: string[];
  /** Removes everything the workload created; returns notes for the report. */
  finish(): Promise<string[]>;
}
