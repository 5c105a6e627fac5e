// SPDX-License-Identifier: MIT
// A function whose frame is above Go's StackBig (4 KB), so that its
// stack-growth check is the large-frame form
//
//	mov %rsp,%r12; sub $N,%r12; jb L; cmp 0x10(%r14),%r12; jbe L
//
// called on fresh goroutines whose stacks are too small for it: each call
// grows the stack in big's own check, and big starts again from its first
// instruction after runtime.morestack. The same again for an assembly
// (ABI0) function of the runtime, which loads g from TLS before the check:
// sumBlob, whose 40 KB argument reflect passes through runtime.call65536.
// The program checks that the stack really moved during every call (exit 1
// otherwise), then prints "big: N calls, stack moved in N" and the same
// for "reflect".
package main

import (
	"fmt"
	"os"
	"reflect"
	"unsafe"
)

// goroutines x rounds calls of run, callBig and big; round r recurses
// through descend levelStep*r + 1 times before big, so big's frame starts at
// a different depth each round (past bpfprof's 32 open calls from round 8
// when descend is timed too).
const (
	goroutines = 8
	rounds     = 12
	levelStep  = 4
	// 256 KB of locals: more than a new goroutine's stack starts with
	// (8 KB, or Go 1.19's adaptive start, the average of the stacks the
	// GC scanned), so big's check always sends it to morestack.
	bigWords = 32 << 10
)

//go:noinline
func big(n int) int {
	var buf [bigWords]int

	for i := range buf {
		buf[i] = n ^ i
	}
	return buf[n%bigWords] + buf[(n*7)%bigWords]
}

// Whether the stack moved while big ran: a uintptr taken before is not
// adjusted when morestack copies the stack, the variable's address is.
//
//go:noinline
func callBig(n int) (int, bool) {
	var mark int
	before := uintptr(unsafe.Pointer(&mark))
	r := big(n)
	return r + mark, uintptr(unsafe.Pointer(&mark)) != before
}

//go:noinline
func descend(level, n int) (int, bool) {
	var pad [64]byte

	pad[level%64] = byte(n)
	if level == 0 {
		r, moved := callBig(n)
		return r + int(pad[0]), moved
	}
	r, moved := descend(level-1, n+1)
	return r + int(pad[level%64]), moved
}

// Passed by value through reflect.Value.Call: 40 KB of arguments, which
// reflect copies into the frame of runtime.call65536.
type blob [5 << 10]int

//go:noinline
func sumBlob(b blob) int {
	return b[0] + b[len(b)-1]
}

// Whether the stack moved while reflect called sumBlob (runtime.call65536's
// check sends it to morestack: 64 KB do not fit in a new goroutine's stack).
//
//go:noinline
func callBlob(n int) (int, bool) {
	var mark int
	var b blob

	b[0], b[len(b)-1] = n, 1
	before := uintptr(unsafe.Pointer(&mark))
	out := reflect.ValueOf(sumBlob).Call([]reflect.Value{reflect.ValueOf(b)})
	return int(out[0].Int()) + mark, uintptr(unsafe.Pointer(&mark)) != before
}

// One round, on its own new goroutine.
//
//go:noinline
func run(round int) (int, bool) {
	return descend(levelStep*round, round)
}

type result struct {
	sum   int
	moved bool
}

// goroutines x rounds calls of f(round), each on its own new goroutine;
// prints how many moved the stack, false unless all did.
func each(name string, f func(round int) (int, bool)) bool {
	done := make(chan result)
	for g := 0; g < goroutines; g++ {
		go func() {
			for r := 0; r < rounds; r++ {
				ch := make(chan result)
				go func(round int) {
					s, m := f(round)
					ch <- result{s, m}
				}(r)
				done <- <-ch
			}
		}()
	}
	moved, sum := 0, 0
	for i := 0; i < goroutines*rounds; i++ {
		res := <-done
		sum += res.sum
		if res.moved {
			moved++
		}
	}
	fmt.Printf("%s: %d calls, stack moved in %d\n", name, goroutines*rounds, moved)
	return moved == goroutines*rounds && sum != 0
}

func main() {
	ok := each("big", run)
	if !each("reflect", callBlob) || !ok {
		os.Exit(1)
	}
}
