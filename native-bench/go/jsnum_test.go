package main

import (
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
)

func js(x float64) string { return string(appendJSNumber(nil, x)) }

func TestTypicalValues(t *testing.T) {
	a, b := 0.1, 0.2 // variables: constant arithmetic in Go is exact
	cases := map[float64]string{
		100: "100", 12345.67: "12345.67", 1700000000000: "1700000000000", a + b: "0.30000000000000004",
		math.Copysign(0, -1): "0", 1e21: "1e+21", 1e20: "100000000000000000000", 1.5e-7: "1.5e-7",
		1e-6: "0.000001", 123e-20: "1.23e-18", 5e-324: "5e-324", math.MaxFloat64: "1.7976931348623157e+308",
		1 << 60: "1152921504606847000", math.Inf(1): "null",
	}
	for x, want := range cases {
		if got := js(x); got != want {
			t.Errorf("%v: got %s want %s", x, got, want)
		}
	}
}

// Vectors printed by Node (../testdata/js-numbers.txt: hex bits, JS string).
func TestNodeVectors(t *testing.T) {
	text, err := os.ReadFile("../testdata/js-numbers.txt")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, line := range strings.Split(strings.TrimSpace(string(text)), "\n") {
		hex, want, _ := strings.Cut(line, " ")
		bits, err := strconv.ParseUint(hex, 16, 64)
		if err != nil {
			t.Fatal(err)
		}
		if got := js(math.Float64frombits(bits)); got != want {
			t.Errorf("bits %s: got %s want %s", hex, got, want)
		}
		n++
	}
	if n < 1000 {
		t.Fatalf("only %d vectors", n)
	}
}

func TestMurmur2(t *testing.T) {
	cases := map[string]int32{"21": -973932308, "foobar": -790332482, "a-little-bit-long-string": -985981536,
		"a-little-bit-longer-string": -1486304829, "lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8": -58897971, "abc": 479470107}
	for s, want := range cases {
		if got := int32(murmur2([]byte(s))); got != want {
			t.Errorf("%s: got %d want %d", s, got, want)
		}
	}
}
