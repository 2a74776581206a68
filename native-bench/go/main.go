// sabre-native-go: the Go reference of Sabre's windowed job
// (docs/SEMANTICS.md), built the way classic Go streaming pipelines are:
//
//	generator goroutine --(buffered channel per shard, one record per send)-->
//	processor goroutine per shard --(update a sync.Mutex-guarded
//	map[windowKey]*windowState shared by all processors; fire by watermark)-->
//	results channel --> sink goroutine
//
// The generator shards records by key with Sabre's partition function
// ((murmur2(key) & 0x7fffffff) % 128 % N), so each key's records reach one
// processor in generation order and the float sums are added in the same order
// as in the single-partition job. Each processor keeps the watermark of its own
// shard: the output is docs/SEMANTICS.md's job with N partitions, which equals
// the single-partition job whenever disorder <= outOfOrderness (no record is
// late under either watermark). See native-bench/README.md.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"math"
	"os"
	"runtime"
	"sort"
	"strconv"
	"sync"
	"time"
)

// keyGroups is Sabre's default number of key groups (docs/SEMANTICS.md, "Partitioning").
const keyGroups = 128

type record struct {
	key   string
	ts    int64
	value float64
}

type windowKey struct {
	key   string
	start int64
}

type windowState struct {
	key      string
	start    int64
	count    int64
	sum      float64
	min, max float64
}

type result struct {
	key           string
	start, end    int64
	count         int64
	sum, min, max float64
	avg           float64
}

// sharedWindows is the window state of every key, shared by all processors.
type sharedWindows struct {
	mu      sync.Mutex
	windows map[windowKey]*windowState
}

// processor runs the window operator for one shard: its own maxTs and
// watermark, the windows it opened (by start, to fire them in end order).
type processor struct {
	shared  *sharedWindows
	size    int64
	bound   int64
	maxTs   int64
	wm      int64 // math.MinInt64 stands for −∞
	open    map[int64][]*windowState
	nextEnd int64
	late    int64
	out     chan<- result
	fired   []result
	starts  []int64
}

func newProcessor(shared *sharedWindows, size, bound int64, out chan<- result) *processor {
	return &processor{shared: shared, size: size, bound: bound, maxTs: math.MinInt64, wm: math.MinInt64,
		open: make(map[int64][]*windowState), nextEnd: math.MaxInt64, out: out}
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func (p *processor) process(r *record) {
	// Step 1: assign; a window with end <= wm is expired (allowedLateness 0): late.
	start := floorDiv(r.ts, p.size) * p.size
	if start+p.size <= p.wm {
		p.late++
		return
	}
	p.shared.mu.Lock()
	ws := p.shared.windows[windowKey{r.key, start}]
	created := ws == nil
	if created {
		ws = &windowState{key: r.key, start: start, min: math.Inf(1), max: math.Inf(-1)}
		p.shared.windows[windowKey{r.key, start}] = ws
	}
	ws.count++
	ws.sum += r.value
	if r.value < ws.min {
		ws.min = r.value
	}
	if r.value > ws.max {
		ws.max = r.value
	}
	p.shared.mu.Unlock()
	if created {
		p.open[start] = append(p.open[start], ws)
		if start+p.size < p.nextEnd {
			p.nextEnd = start + p.size
		}
	}
	// Steps 2 and 3.
	if r.ts > p.maxTs {
		p.maxTs = r.ts
		p.wm = r.ts - p.bound
		if p.wm >= p.nextEnd {
			p.fireUpTo(p.wm)
		}
	}
}

// fireUpTo fires (in end order) every window of this shard with end <= wm.
func (p *processor) fireUpTo(wm int64) {
	p.starts = p.starts[:0]
	for s := range p.open {
		if s+p.size <= wm {
			p.starts = append(p.starts, s)
		}
	}
	sort.Slice(p.starts, func(i, j int) bool { return p.starts[i] < p.starts[j] })
	p.fired = p.fired[:0]
	p.shared.mu.Lock()
	for _, s := range p.starts {
		for _, ws := range p.open[s] {
			delete(p.shared.windows, windowKey{ws.key, ws.start})
			p.fired = append(p.fired, result{key: ws.key, start: ws.start, end: ws.start + p.size, count: ws.count,
				sum: ws.sum, min: ws.min, max: ws.max, avg: ws.sum / float64(ws.count)})
		}
		delete(p.open, s)
	}
	p.shared.mu.Unlock()
	for i := range p.fired {
		p.out <- p.fired[i]
	}
	p.nextEnd = math.MaxInt64
	for s := range p.open {
		if s+p.size < p.nextEnd {
			p.nextEnd = s + p.size
		}
	}
}

// end is END for this shard: wm = +∞, every open window fires.
func (p *processor) end() {
	p.wm = math.MaxInt64
	p.fireUpTo(math.MaxInt64)
}

type options struct {
	count          uint64
	keys           uint32
	seed           uint32
	disorder       uint32
	eventsPerMs    float64
	windowMs       int64
	outOfOrderness int64
	mode           string
	output         string
	workers        int
	batch          int
	chanBuffer     int
}

func fail(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "sabre-native-go: "+format+"\n", a...)
	flag.Usage()
	os.Exit(2)
}

// number parses a flag the way JavaScript's Number() reads a plain decimal ("1e7" too).
func number(name, raw string) float64 {
	v, err := strconv.ParseFloat(raw, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		fail("--%s must be a number, got %q", name, raw)
	}
	return v
}

func intIn(name, raw string, min, max float64) int64 {
	v := number(name, raw)
	if v != math.Trunc(v) || v < min || v > max {
		fail("--%s must be an integer in [%.0f, %.0f], got %s", name, min, max, raw)
	}
	return int64(v)
}

func parseOptions() options {
	fs := flag.CommandLine
	count := fs.String("count", "10000000", "records to generate")
	keys := fs.String("keys", "10000", "distinct keys (SYM0 … SYM<keys-1>)")
	seed := fs.String("seed", "42", "generator seed (taken modulo 2^32)")
	disorder := fs.String("disorder", "100", "max jitter subtracted from event time, ms")
	epm := fs.String("events-per-ms", "1000", "records per ms of simulated event time")
	windowMs := fs.String("window-ms", "1000", "tumbling window size, ms")
	ooo := fs.String("out-of-orderness", "200", "watermark bound: wm = maxTs - bound, ms")
	mode := fs.String("mode", "bench", "bench (print one JSON summary) or results (write fired windows as NDJSON)")
	output := fs.String("output", "", "results mode: NDJSON file (default or '-': stdout, summary then goes to stderr)")
	workers := fs.Int("workers", runtime.NumCPU(), "shards = processor goroutines")
	batch := fs.Int("batch", 1, "records per channel send (1 = one record per send, the idiom being compared)")
	chanBuffer := fs.Int("chan-buffer", 1024, "capacity of each shard's channel (in sends)")
	flag.Parse()
	if flag.NArg() > 0 {
		fail("unexpected argument %q", flag.Arg(0))
	}
	o := options{
		count:    uint64(intIn("count", *count, 0, 9e15)),
		keys:     uint32(intIn("keys", *keys, 1, 4294967295)),
		seed:     uint32(intIn("seed", *seed, -9e15, 9e15)), // seed >>> 0
		disorder: uint32(intIn("disorder", *disorder, 0, 4294967294)),
		windowMs: intIn("window-ms", *windowMs, 1, 1e12), outOfOrderness: intIn("out-of-orderness", *ooo, 0, 1e12),
		eventsPerMs: number("events-per-ms", *epm), mode: *mode, output: *output,
		workers: *workers, batch: *batch, chanBuffer: *chanBuffer,
	}
	if o.eventsPerMs <= 0 {
		fail("--events-per-ms must be > 0")
	}
	if o.mode != "bench" && o.mode != "results" {
		fail("--mode must be bench or results, got %q", o.mode)
	}
	if o.workers < 1 || o.batch < 1 || o.chanBuffer < 0 {
		fail("--workers and --batch must be >= 1, --chan-buffer >= 0")
	}
	return o
}

func main() {
	o := parseOptions()
	n := o.workers

	// Key strings and their shards, built once (as the generator of Sabre does).
	keys := make([]string, o.keys)
	shardOf := make([]int, o.keys)
	for k := range keys {
		keys[k] = keyString(uint32(k))
		// Sabre's partition function (docs/SEMANTICS.md, keyGroups 128, partitions = shards).
		shardOf[k] = int((murmur2([]byte(keys[k]))&0x7fffffff)%keyGroups) % n
	}

	shared := &sharedWindows{windows: make(map[windowKey]*windowState)}
	out := make(chan result, 4096)
	procs := make([]*processor, n)
	for i := range procs {
		procs[i] = newProcessor(shared, o.windowMs, o.outOfOrderness, out)
	}

	// The sink: counts fired windows, and in results mode writes them.
	var fired int64
	var text []byte
	sinkDone := make(chan time.Time)
	go func() {
		var check uint64
		for r := range out {
			fired++
			if o.mode == "results" {
				text = appendResult(text, &r)
			} else {
				check += math.Float64bits(r.avg) ^ math.Float64bits(r.min) ^ math.Float64bits(r.max) ^ uint64(r.count) ^ uint64(r.start) ^ uint64(len(r.key))
			}
		}
		_ = check
		sinkDone <- time.Now()
	}()

	var wg sync.WaitGroup
	wg.Add(n)
	var t0 time.Time
	gen := newTradeGenerator(o.seed, o.keys, o.disorder, o.eventsPerMs)
	if o.batch <= 1 {
		chans := make([]chan record, n)
		for i := range chans {
			chans[i] = make(chan record, o.chanBuffer)
			go func(p *processor, ch <-chan record) {
				defer wg.Done()
				for r := range ch {
					p.process(&r)
				}
				p.end()
			}(procs[i], chans[i])
		}
		t0 = time.Now()
		go func() {
			for i := uint64(0); i < o.count; i++ {
				k, v, ts := gen.draw(i)
				chans[shardOf[k]] <- record{key: keys[k], ts: ts, value: v}
			}
			for _, ch := range chans {
				close(ch)
			}
		}()
	} else {
		chans := make([]chan []record, n)
		for i := range chans {
			chans[i] = make(chan []record, o.chanBuffer)
			go func(p *processor, ch <-chan []record) {
				defer wg.Done()
				for b := range ch {
					for j := range b {
						p.process(&b[j])
					}
				}
				p.end()
			}(procs[i], chans[i])
		}
		t0 = time.Now()
		go func() {
			bufs := make([][]record, n)
			for s := range bufs {
				bufs[s] = make([]record, 0, o.batch)
			}
			for i := uint64(0); i < o.count; i++ {
				k, v, ts := gen.draw(i)
				s := shardOf[k]
				bufs[s] = append(bufs[s], record{key: keys[k], ts: ts, value: v})
				if len(bufs[s]) == o.batch {
					chans[s] <- bufs[s]
					bufs[s] = make([]record, 0, o.batch)
				}
			}
			for s, ch := range chans {
				if len(bufs[s]) > 0 {
					ch <- bufs[s]
				}
				close(ch)
			}
		}()
	}
	wg.Wait()
	close(out)
	done := <-sinkDone
	seconds := done.Sub(t0).Seconds()

	var late int64
	for _, p := range procs {
		late += p.late
	}
	rps := 0.0
	if seconds > 0 {
		rps = math.Round(float64(o.count) / seconds)
	}
	summary := []byte(`{"impl":"go","records":`)
	summary = appendJSNumber(summary, float64(o.count))
	summary = append(summary, `,"seconds":`...)
	summary = appendJSNumber(summary, seconds)
	summary = append(summary, `,"recordsPerSec":`...)
	summary = appendJSNumber(summary, rps)
	summary = append(summary, `,"windowsFired":`...)
	summary = appendJSNumber(summary, float64(fired))
	summary = append(summary, `,"lateRecords":`...)
	summary = appendJSNumber(summary, float64(late))
	summary = append(summary, "}\n"...)

	if o.mode == "results" {
		if o.output == "" || o.output == "-" {
			w := bufio.NewWriter(os.Stdout)
			w.Write(text)
			w.Flush()
			os.Stderr.Write(summary)
			return
		}
		if err := os.WriteFile(o.output, text, 0o644); err != nil {
			fmt.Fprintf(os.Stderr, "sabre-native-go: cannot write %s: %v\n", o.output, err)
			os.Exit(1)
		}
	}
	os.Stdout.Write(summary)
}

func appendResult(b []byte, r *result) []byte {
	b = append(b, `{"key":"`...)
	b = append(b, r.key...) // "SYM" + digits: nothing to escape
	b = append(b, `","start":`...)
	b = appendJSNumber(b, float64(r.start))
	b = append(b, `,"end":`...)
	b = appendJSNumber(b, float64(r.end))
	b = append(b, `,"count":`...)
	b = appendJSNumber(b, float64(r.count))
	b = append(b, `,"sum":`...)
	b = appendJSNumber(b, r.sum)
	b = append(b, `,"min":`...)
	b = appendJSNumber(b, r.min)
	b = append(b, `,"max":`...)
	b = appendJSNumber(b, r.max)
	b = append(b, `,"avg":`...)
	b = appendJSNumber(b, r.avg)
	b = append(b, `,"fire":"watermark"}`+"\n"...)
	return b
}
