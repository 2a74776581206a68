package main

// Numbers printed exactly as JavaScript's JSON.stringify prints them
// (Number::toString, ECMA-262 §6.1.6.1.20): the shortest digits that
// round-trip, plain notation for 1e-7 < |x| < 1e21, exponent notation
// ("1e+21", "1.5e-7") outside it, -0 as "0", NaN/±Infinity as null.
// strconv's shortest 'e' format gives the same digits as V8; only the layout
// is redone ('f' with -1 would print 1e21 and 1e-7 in plain notation).

import (
	"math"
	"strconv"
	"strings"
)

func appendJSNumber(b []byte, x float64) []byte {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return append(b, "null"...)
	}
	if x == 0 {
		return append(b, '0')
	}
	// Integers below 2^53 (counts, window bounds): the decimal integer is the shortest form.
	if x == math.Trunc(x) && math.Abs(x) < 9007199254740992 {
		return strconv.AppendInt(b, int64(x), 10)
	}
	var tmp [32]byte
	e := strconv.AppendFloat(tmp[:0], x, 'e', -1, 64)
	if e[0] == '-' {
		b = append(b, '-')
		e = e[1:]
	}
	s := string(e)
	mant, expStr, _ := strings.Cut(s, "e")
	exp, _ := strconv.Atoi(expStr)
	digits := strings.Replace(mant, ".", "", 1)
	return layout(b, digits, exp+1)
}

// layout is Number::toString's layout of the digits s (k of them, no trailing
// zeros) of the value 0.s × 10^n.
func layout(b []byte, s string, n int) []byte {
	k := len(s)
	switch {
	case k <= n && n <= 21:
		b = append(b, s...)
		for i := 0; i < n-k; i++ {
			b = append(b, '0')
		}
	case 0 < n && n <= 21:
		b = append(b, s[:n]...)
		b = append(b, '.')
		b = append(b, s[n:]...)
	case -6 < n && n <= 0:
		b = append(b, "0."...)
		for i := 0; i < -n; i++ {
			b = append(b, '0')
		}
		b = append(b, s...)
	default:
		b = append(b, s[0])
		if k > 1 {
			b = append(b, '.')
			b = append(b, s[1:]...)
		}
		b = append(b, 'e')
		e := n - 1
		if e < 0 {
			b = append(b, '-')
			e = -e
		} else {
			b = append(b, '+')
		}
		b = strconv.AppendInt(b, int64(e), 10)
	}
	return b
}
