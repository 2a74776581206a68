// A job output's line for a sink that needs its event time besides its JSON
// (a Kafka sink writing flatbuffers Records, whose event_time is the
// output's F_TIME): `TIME<TAB>JSON`. The out-drain and the job outputs write
// such lines only to a sink that asks for them (LineSink.timedLines).

export function timedLine(time: number, json: string): string {
  return `${time}\t${json}`;
}

/** The inverse of timedLine. */
export function splitTimedLine(line: string): { time: number; json: string } {
  const tab = line.indexOf('\t');
  return { time: Number(line.slice(0, tab)), json: line.slice(tab + 1) };
}
