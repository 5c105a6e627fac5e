// SPDX-License-Identifier: MIT
// A short Go function called in a loop, timed by the program itself: what
// a timed call costs under bpfprof against an unprobed run.
//
//	go_calls [ROUNDS [CALLS]]
//
// prints one line per round: "round R: tiny N ns/call leaf N ns/call".
// tiny calls another function, so it has the stack-growth check; leaf
// calls nothing and has a small frame, so the compiler leaves the check
// out (NOSPLIT).
package main

import (
	"fmt"
	"os"
	"strconv"
	"time"
)

//go:noinline
func add(x int) int {
	return x + 1
}

//go:noinline
func tiny(x int) int {
	return add(x) * 3
}

//go:noinline
func leaf(x int) int {
	return x*3 + 1
}

func arg(i int, def int) int {
	if len(os.Args) > i {
		if n, err := strconv.Atoi(os.Args[i]); err == nil && n > 0 {
			return n
		}
	}
	return def
}

func main() {
	rounds, calls := arg(1, 5), arg(2, 100000)
	sum := 0
	for r := 0; r < rounds; r++ {
		t0 := time.Now()
		for i := 0; i < calls; i++ {
			sum += tiny(i)
		}
		t1 := time.Now()
		for i := 0; i < calls; i++ {
			sum += leaf(i)
		}
		t2 := time.Now()
		fmt.Printf("round %d: tiny %.1f ns/call leaf %.1f ns/call\n", r,
			float64(t1.Sub(t0).Nanoseconds())/float64(calls),
			float64(t2.Sub(t1).Nanoseconds())/float64(calls))
	}
	if sum == 0 {
		os.Exit(1)
	}
}
