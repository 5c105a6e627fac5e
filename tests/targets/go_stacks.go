// SPDX-License-Identifier: MIT
// Goroutines whose stacks grow (and move) while timed functions are open,
// and that move between threads (Gosched) inside them. A return probe
// would leave the kernel's trampoline address on the goroutine stack,
// which Go's stack copier rejects ("unexpected return pc").
package main

import (
	"os"
	"runtime"
	"time"
)

// The tests time work, grow, leaf and empty: goroutines x 1, x calls, x
// calls, x calls;
// and quit, which never returns: quitters calls, all unfinished.
const (
	goroutines = 8
	calls      = 25  // work -> calls x (grow + leaf)
	levels     = 200 // deep recursion: ~40 KB of stack, past the 8 KB start
)

//go:noinline
func deep(n int, pad [128]byte) int {
	if n == 0 {
		runtime.Gosched()
		return int(pad[0])
	}
	var next [128]byte
	next[0] = pad[0] + 1
	return deep(n-1, next) + 1
}

// Open while deep() grows the goroutine's stack, and while Gosched() may
// move the goroutine to another thread.
//
//go:noinline
func grow() int {
	return deep(levels, [128]byte{})
}

//go:noinline
func leaf(x int) int {
	return x*3 + 1
}

// Nothing: its whole code is one ret, its entry and its way out.
//
//go:noinline
func empty() {}

// Small enough that the compiler inlines it into work and keeps no
// function of its own: not probeable.
func inlined(x int) int {
	return x + 1
}

// Timed; it returns before worker signals main, so every call has ended
// by the time the program exits.
//
//go:noinline
func work() int {
	sum := 0
	for i := 0; i < calls; i++ {
		sum += grow() + leaf(inlined(i))
		empty()
	}
	return sum
}

func worker(done chan<- int) {
	done <- work()
}

const quitters = 3

// Ends its goroutine from inside: the call never returns.
//
//go:noinline
func quit() {
	runtime.Goexit()
}

func main() {
	quitDone := make(chan bool)
	for q := 0; q < quitters; q++ {
		go func() {
			defer func() { quitDone <- true }()
			quit()
		}()
	}
	for q := 0; q < quitters; q++ {
		<-quitDone
	}
	// The deferred send runs before the runtime frees the goroutine.
	time.Sleep(200 * time.Millisecond)
	done := make(chan int)
	for g := 0; g < goroutines; g++ {
		go worker(done)
	}
	total := 0
	for g := 0; g < goroutines; g++ {
		total += <-done
	}
	if total == 0 {
		os.Exit(1)
	}
}
