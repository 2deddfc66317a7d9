// A NATS client on the nats.go library, for the tests:
//
//	natsclient URL pub SUBJECT_PREFIX N   publishes N messages to PREFIX.<1000+i>.created, then flushes
//	natsclient URL sub SUBJECT N          prints "ready", then each of N messages' subjects, and exits
package main

import (
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
)

func main() {
	nc, err := nats.Connect(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer nc.Close()
	n, _ := strconv.Atoi(os.Args[4])
	switch os.Args[2] {
	case "pub":
		for i := 0; i < n; i++ {
			if err := nc.Publish(os.Args[3]+"."+strconv.Itoa(1000+i)+".created", []byte("order")); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
		}
		if err := nc.FlushTimeout(10 * time.Second); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	case "sub":
		got := make(chan string, n)
		if _, err := nc.Subscribe(os.Args[3], func(m *nats.Msg) { got <- m.Subject }); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		nc.Flush()
		fmt.Println("ready")
		for i := 0; i < n; i++ {
			select {
			case s := <-got:
				fmt.Println(s)
			case <-time.After(20 * time.Second):
				fmt.Fprintln(os.Stderr, "timed out")
				os.Exit(1)
			}
		}
	}
}
