// A Go net/http server and client over crypto/tls, for the tests: the
// server answers /hello/<n> (200), /missing/<n> (404) and /fail (500) and
// logs "PROTO METHOD PATH STATUS" per request; the client sends count
// requests on one connection, over HTTP/1.1 or HTTP/2, {i} in the URL
// standing for the request's number, once the file GO names exists.
//
//	go_tls serve ADDR CERT KEY LOG
//	go_tls get h1|h2 URL COUNT GO
package main

import (
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

func serve(addr, cert, key, logPath string) {
	out, err := os.Create(logPath)
	if err != nil {
		log.Fatal(err)
	}
	var mu sync.Mutex
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		status := http.StatusOK
		switch {
		case strings.HasPrefix(r.URL.Path, "/missing/"):
			status = http.StatusNotFound
		case r.URL.Path == "/fail":
			status = http.StatusInternalServerError
		}
		w.WriteHeader(status)
		fmt.Fprintf(w, "%s\n", r.URL.Path)
		mu.Lock()
		fmt.Fprintf(out, "%s %s %s %d\n", r.Proto, r.Method, r.URL.Path, status)
		out.Sync()
		mu.Unlock()
	})
	log.Fatal(http.ListenAndServeTLS(addr, cert, key, handler))
}

func get(proto, url string, count int, start string) {
	for {
		if _, err := os.Stat(start); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, ForceAttemptHTTP2: proto == "h2"}
	if proto == "h1" {
		tr.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
	}
	client := &http.Client{Transport: tr}
	for i := 0; i < count; i++ {
		resp, err := client.Get(strings.ReplaceAll(url, "{i}", strconv.Itoa(i)))
		if err != nil {
			log.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}

func main() {
	switch {
	case len(os.Args) == 6 && os.Args[1] == "serve":
		serve(os.Args[2], os.Args[3], os.Args[4], os.Args[5])
	case len(os.Args) == 6 && os.Args[1] == "get":
		n, err := strconv.Atoi(os.Args[4])
		if err != nil {
			log.Fatal(err)
		}
		get(os.Args[2], os.Args[3], n, os.Args[5])
	default:
		log.Fatal("usage: go_tls serve ADDR CERT KEY LOG | go_tls get h1|h2 URL COUNT GO")
	}
}
