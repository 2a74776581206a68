package main

// The deterministic generator of docs/SEMANTICS.md ("The built-in generator"),
// unthrottled (simulated clock), trades ("SYM" + k).

import (
	"math"
	"strconv"
)

// T0 is the start of the simulated clock, epoch ms.
const T0 int64 = 1_700_000_000_000

const golden uint32 = 0x9E3779B9
const two32 = 4294967296.0

type xorshift32 struct{ x uint32 }

func newXorshift32(seed uint32) xorshift32 {
	if seed == 0 {
		seed = golden
	}
	return xorshift32{seed}
}

func (g *xorshift32) next() uint32 {
	x := g.x
	x ^= x << 13
	x ^= x >> 17
	x ^= x << 5
	g.x = x
	return x
}

// uniform is floor(r * n / 2^32) computed in doubles exactly as JavaScript does.
func uniform(r uint32, n float64) uint32 {
	return uint32(math.Floor(float64(r) * n / two32))
}

type tradeGenerator struct {
	rng         xorshift32
	keys        float64
	jitterRange float64
	epmInt      uint64 // integer events-per-ms, or 0
	epm         float64
}

func newTradeGenerator(seed uint32, keys uint32, disorder uint32, eventsPerMs float64) *tradeGenerator {
	var epmInt uint64
	if eventsPerMs == math.Trunc(eventsPerMs) && eventsPerMs >= 1 && eventsPerMs < 9e15 {
		epmInt = uint64(eventsPerMs)
	}
	return &tradeGenerator{rng: newXorshift32(seed), keys: float64(keys), jitterRange: float64(disorder) + 1, epmInt: epmInt, epm: eventsPerMs}
}

// draw returns record i's key index, value and event time (i = 0, 1, 2, ...).
func (g *tradeGenerator) draw(i uint64) (k uint32, value float64, ts int64) {
	r1 := g.rng.next()
	r2 := g.rng.next()
	r3 := g.rng.next()
	k = uniform(r1, g.keys)
	// 100 + (r2 % 10000) / 100 in IEEE doubles, exactly as the spec writes it.
	value = 100 + float64(r2%10000)/100
	j := int64(uniform(r3, g.jitterRange))
	// floor(i / eventsPerMs): for an integer divisor and i < 2^53 the double
	// division floors to the same integer as the integer division.
	var ms int64
	if g.epmInt != 0 {
		ms = int64(i / g.epmInt)
	} else {
		ms = int64(math.Floor(float64(i) / g.epm))
	}
	return k, value, T0 + ms - j
}

func keyString(k uint32) string {
	return "SYM" + strconv.FormatUint(uint64(k), 10)
}

// murmur2 is Kafka's murmur2 (seed 0x9747b28c), as Sabre's partitioner computes it.
func murmur2(data []byte) uint32 {
	const seed uint32 = 0x9747b28c
	const m uint32 = 0x5bd1e995
	n := len(data)
	h := seed ^ uint32(n)
	n4 := n / 4
	for i := 0; i < n4; i++ {
		o := i * 4
		k := uint32(data[o]) | uint32(data[o+1])<<8 | uint32(data[o+2])<<16 | uint32(data[o+3])<<24
		k *= m
		k ^= k >> 24
		k *= m
		h *= m
		h ^= k
	}
	o := n4 * 4
	switch n & 3 {
	case 3:
		h ^= uint32(data[o+2]) << 16
		fallthrough
	case 2:
		h ^= uint32(data[o+1]) << 8
		fallthrough
	case 1:
		h ^= uint32(data[o])
		h *= m
	}
	h ^= h >> 13
	h *= m
	h ^= h >> 15
	return h
}
