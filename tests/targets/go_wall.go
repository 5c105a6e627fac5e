// SPDX-License-Identifier: MIT
// Go stages whose I/O and off-CPU time the tests know: ioWrite, run by
// several goroutines at once, writes known sizes to a file and a pipe;
// spinSleep spins a while, then blocks its thread in a nanosleep syscall;
// spinPark spins, then parks in time.Sleep (the thread runs on); chanWait
// parks receiving from a channel another goroutine fills late.
// The target writes what it measured on its own clock to the file named
// by its argument ("name value" lines).
package main

import (
	"fmt"
	"os"
	"sync"
	"syscall"
	"time"
)

// The test's figures: keep in step with tests/integration/test_go_wall.c.
const (
	writers    = 4
	writes     = 5   // per ioWrite call, to each of the file and the pipe
	fileBytes  = 300 // per write
	pipeBytes  = 200 // per write; all of them fit in the pipe unread
	spinTime   = 60 * time.Millisecond
	napTime    = 80 * time.Millisecond
	spinSleeps = 2
	holdTime   = 70 * time.Millisecond // before the channel is filled
)

// Timed: 2 x writes writes, each a syscall of its own.
//
//go:noinline
func ioWrite(f, pipe *os.File) {
	fb := make([]byte, fileBytes)
	pb := make([]byte, pipeBytes)
	for i := 0; i < writes; i++ {
		if _, err := f.Write(fb); err != nil {
			panic(err)
		}
		if _, err := pipe.Write(pb); err != nil {
			panic(err)
		}
	}
}

var sink int

// Timed: on a CPU for spinTime (by the wall clock), then off it in a
// nanosleep syscall, which blocks the thread with the goroutine on it.
//
//go:noinline
func spinSleep() (spin, nap time.Duration) {
	t0 := time.Now()
	for time.Since(t0) < spinTime {
		sink++
	}
	t1 := time.Now()
	ts := syscall.NsecToTimespec(int64(napTime))
	for syscall.Nanosleep(&ts, &ts) == syscall.EINTR {
	}
	return t1.Sub(t0), time.Since(t1)
}

// Timed: on a CPU for spinTime, then parked in the Go scheduler.
//
//go:noinline
func spinPark() (spin, nap time.Duration) {
	t0 := time.Now()
	for time.Since(t0) < spinTime {
		sink++
	}
	t1 := time.Now()
	time.Sleep(napTime)
	return t1.Sub(t0), time.Since(t1)
}

// Timed: parked on a channel receive until the sender's holdTime is over.
//
//go:noinline
func chanWait(ch <-chan int) int {
	return <-ch
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: go_wall RESULT_FILE")
		os.Exit(2)
	}
	result, err := os.Create(os.Args[1])
	if err != nil {
		panic(err)
	}
	f, err := os.CreateTemp("", "go_wall")
	if err != nil {
		panic(err)
	}
	os.Remove(f.Name())
	r, w, err := os.Pipe()
	if err != nil {
		panic(err)
	}
	var wg sync.WaitGroup
	for i := 0; i < writers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ioWrite(f, w)
		}()
	}
	wg.Wait()
	w.Close()
	buf := make([]byte, writers*writes*pipeBytes+1)
	n := 0
	for {
		k, err := r.Read(buf[n:])
		n += k
		if err != nil || k == 0 {
			break
		}
	}
	if n != writers*writes*pipeBytes {
		os.Exit(1)
	}
	var spin, nap time.Duration
	for i := 0; i < spinSleeps; i++ {
		s, z := spinSleep()
		spin += s
		nap += z
	}
	fmt.Fprintf(result, "spin_wall_ns %d\nsleep_wall_ns %d\n", spin.Nanoseconds(), nap.Nanoseconds())
	spin, nap = 0, 0
	for i := 0; i < spinSleeps; i++ {
		s, z := spinPark()
		spin += s
		nap += z
	}
	fmt.Fprintf(result, "park_spin_ns %d\npark_sleep_ns %d\n", spin.Nanoseconds(), nap.Nanoseconds())
	ch := make(chan int)
	go func() {
		time.Sleep(holdTime)
		ch <- 1
	}()
	t0 := time.Now()
	if chanWait(ch) != 1 {
		os.Exit(1)
	}
	fmt.Fprintf(result, "chan_wall_ns %d\n", time.Since(t0).Nanoseconds())
	result.Close()
}
