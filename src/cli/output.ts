/** Where a command writes: standard output for results, standard error for diagnostics and progress. */
export interface Output {
  out: { write(text: string): unknown; isTTY?: boolean };
  err: { write(text: string): unknown; isTTY?: boolean };
}

/** A progress line on standard error: a redrawn bar on a terminal, a line per tenth otherwise. */
export function progressReporter(err: Output['err'], label: string): (done: number, total: number) => void {
  let lastTenth = -1;
  return (done, total) => {
    const share = total === 0 ? 1 : done / total;
    if (err.isTTY) {
      const width = 30;
      const filled = Math.round(share * width);
      err.write(`\r${label} [${'█'.repeat(filled)}${' '.repeat(width - filled)}] ${Math.round(share * 100)}% (${done}/${total})`);
      if (done >= total) err.write('\n');
      return;
    }
    const tenth = Math.floor(share * 10);
    if (tenth > lastTenth) {
      lastTenth = tenth;
      err.write(`${label}: ${tenth * 10}% (${done}/${total})\n`);
    }
  };
}
