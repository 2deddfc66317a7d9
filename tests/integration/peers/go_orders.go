// A Go program whose function sonde times from outside: it waits for a
// file to exist (its probes are in), then calls processOrder N times,
// ERRORS of them failing (-1), on as many goroutines as asked, each call
// about 2 ms.
package main

import (
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"
)

//go:noinline
func processOrder(fail bool) int {
	time.Sleep(2 * time.Millisecond)
	if fail {
		return -1
	}
	return 0
}

func main() {
	if len(os.Args) != 5 {
		fmt.Fprintln(os.Stderr, "usage: go_orders N ERRORS GOROUTINES GOFILE")
		os.Exit(2)
	}
	n, _ := strconv.Atoi(os.Args[1])
	errors, _ := strconv.Atoi(os.Args[2])
	workers, _ := strconv.Atoi(os.Args[3])
	for {
		if _, err := os.Stat(os.Args[4]); err == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	var wg sync.WaitGroup
	per := n / workers
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < per; i++ {
				processOrder(w*per+i < errors)
			}
		}(w)
	}
	wg.Wait()
}
