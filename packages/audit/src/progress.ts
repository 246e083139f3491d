import cliProgress from 'cli-progress';
import type { ProgressEvent } from './session.ts';

/** A progress reporter for long phases: one bar per phase on the given stream. */
export function progressBar(stream: NodeJS.WriteStream): {
  update: (e: ProgressEvent) => void;
  stop: () => void;
} {
  let bar: cliProgress.SingleBar | undefined;
  let phase = '';
  const stop = () => {
    bar?.stop();
    bar = undefined;
  };
  return {
    update(e) {
      if (e.phase !== phase) {
        stop();
        phase = e.phase;
        bar = new cliProgress.SingleBar(
          {
            stream,
            format: `${e.phase.padEnd(18)} [{bar}] {percentage}% | {value}/{total} | {duration_formatted}`,
            hideCursor: true,
          },
          cliProgress.Presets.shades_classic,
        );
        bar.start(e.total, 0);
      }
      bar?.update(e.done);
      if (e.done >= e.total) stop();
    },
    stop,
  };
}
