// journeys: the load generator of `make bench` for whole sign-in journeys, which hey cannot send.
//
// Each of -c workers is a browser of its own (cookie jar, no JavaScript) that repeats, until -d is up:
// GET /login (following the redirects through Kratos to the form), POST the form with -email and
// -password, GET / (the signed-in page) and POST /logout. Every HTTP request is one CSV line on
// stdout: start (Unix seconds), duration (s), status (0: no answer), server (ui or kratos), step, error.
// A journey stops at its first failed step and the worker starts the next one. Only loopback.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/html"
)

type record struct {
	start    time.Time
	duration time.Duration
	status   int
	server   string
	step     string
	err      string
}

type browser struct {
	client  *http.Client
	ui      *url.URL
	records chan<- record
}

func kind(err error) string {
	var netErr net.Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &netErr) && netErr.Timeout():
		return "timeout"
	case strings.Contains(err.Error(), "connection refused"):
		return "refused"
	case strings.Contains(err.Error(), "connection reset"), strings.Contains(err.Error(), "EOF"):
		return "reset"
	default:
		return "other"
	}
}

// do sends one request, records it and returns the body of a 200 (nil otherwise).
func (b *browser) do(ctx context.Context, step, method, target string, form url.Values) (*http.Response, []byte, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return nil, nil, err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", b.ui.Scheme+"://"+b.ui.Host)
	}
	server := "kratos"
	if req.URL.Host == b.ui.Host {
		server = "ui"
	}
	started := time.Now()
	resp, err := b.client.Do(req)
	rec := record{start: started, server: server, step: step}
	var data []byte
	if err == nil {
		data, err = io.ReadAll(resp.Body)
		resp.Body.Close()
		rec.status = resp.StatusCode
	}
	rec.duration = time.Since(started)
	rec.err = kind(err)
	if ctx.Err() != nil && err != nil {
		return nil, nil, ctx.Err() // the run is over: not a failure of the server
	}
	b.records <- rec
	return resp, data, err
}

// follow GETs target and its redirects; returns the final 200's URL and body.
func (b *browser) follow(ctx context.Context, step, target string) (string, []byte, bool) {
	for hops := 0; hops < 10; hops++ {
		resp, data, err := b.do(ctx, step, "GET", target, nil)
		if err != nil {
			return "", nil, false
		}
		if resp.StatusCode == http.StatusOK {
			return target, data, true
		}
		location := resp.Header.Get("Location")
		if resp.StatusCode < 300 || resp.StatusCode >= 400 || location == "" {
			return "", nil, false
		}
		next, err := resp.Request.URL.Parse(location)
		if err != nil {
			return "", nil, false
		}
		target = next.String()
	}
	return "", nil, false
}

// flowForm finds the sign-in form (its action carries flow=) and the values a browser would send.
func flowForm(page []byte) (string, url.Values, bool) {
	doc, err := html.Parse(strings.NewReader(string(page)))
	if err != nil {
		return "", nil, false
	}
	var action string
	var values url.Values
	var walk func(n *html.Node, inForm bool)
	walk = func(n *html.Node, inForm bool) {
		if n.Type == html.ElementNode && n.Data == "form" && action == "" {
			if a := attr(n, "action"); strings.Contains(a, "flow=") {
				action, values, inForm = a, url.Values{}, true
			}
		}
		if inForm && n.Type == html.ElementNode && n.Data == "input" && attr(n, "type") == "hidden" {
			values.Set(attr(n, "name"), attr(n, "value"))
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, inForm)
		}
	}
	walk(doc, false)
	return action, values, action != ""
}

func attr(n *html.Node, name string) string {
	for _, a := range n.Attr {
		if a.Key == name {
			return a.Val
		}
	}
	return ""
}

// journey: sign-in page, submit, signed-in page, sign-out. False at the first failed step.
func (b *browser) journey(ctx context.Context, email, password string) bool {
	b.client.Jar, _ = cookiejar.New(nil) // a new browser each time: no cookies left over
	page, body, ok := b.follow(ctx, "login page", b.ui.String()+"/login")
	if !ok {
		return false
	}
	action, values, ok := flowForm(body)
	if !ok {
		return false
	}
	values.Set("identifier", email)
	values.Set("password", password)
	values.Set("method", "password")
	base, _ := url.Parse(page)
	target, err := base.Parse(action)
	if err != nil {
		return false
	}
	resp, _, err := b.do(ctx, "submit", "POST", target.String(), values)
	if err != nil || resp.StatusCode != http.StatusSeeOther {
		return false
	}
	next, err := resp.Request.URL.Parse(resp.Header.Get("Location"))
	if err != nil {
		return false
	}
	if _, home, ok := b.follow(ctx, "signed-in page", next.String()); !ok || !strings.Contains(string(home), email) {
		return false
	}
	resp, _, err = b.do(ctx, "sign out", "POST", b.ui.String()+"/logout", url.Values{})
	return err == nil && resp.StatusCode == http.StatusSeeOther
}

func main() {
	ui := flag.String("ui", "", "the UI's URL (UI_URL)")
	concurrency := flag.Int("c", 50, "concurrent browsers")
	duration := flag.Duration("d", 60*time.Second, "how long to run")
	users := flag.String("users", "", "file of email addresses, one per line; worker i signs in as line i mod n")
	password := flag.String("password", "", "every user's password")
	timeout := flag.Duration("timeout", 30*time.Second, "per request")
	flag.Parse()
	base, err := url.Parse(*ui)
	if err != nil || base.Host == "" || *users == "" {
		fmt.Fprintln(os.Stderr, "journeys: -ui URL and -users FILE are needed")
		os.Exit(2)
	}
	if host := base.Hostname(); host != "127.0.0.1" && host != "localhost" {
		fmt.Fprintln(os.Stderr, "journeys: loopback only")
		os.Exit(2)
	}
	raw, err := os.ReadFile(*users)
	if err != nil {
		fmt.Fprintln(os.Stderr, "journeys:", err)
		os.Exit(2)
	}
	emails := strings.Fields(string(raw))
	ctx, cancel := context.WithTimeout(context.Background(), *duration)
	defer cancel()
	records := make(chan record, 4096)
	out := bufio.NewWriter(os.Stdout)
	done := make(chan struct{})
	go func() {
		fmt.Fprintln(out, "start,duration,status,server,step,error")
		for r := range records {
			fmt.Fprintf(out, "%.6f,%.6f,%d,%s,%s,%s\n", float64(r.start.UnixNano())/1e9, r.duration.Seconds(),
				r.status, r.server, r.step, r.err)
		}
		out.Flush()
		close(done)
	}()
	var wg sync.WaitGroup
	for i := 0; i < *concurrency; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			transport := &http.Transport{MaxIdleConnsPerHost: 4, IdleConnTimeout: 30 * time.Second}
			b := &browser{ui: base, records: records, client: &http.Client{
				Transport: transport, Timeout: *timeout,
				CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
			}}
			for ctx.Err() == nil {
				if !b.journey(ctx, emails[i%len(emails)], *password) && ctx.Err() == nil {
					time.Sleep(100 * time.Millisecond) // a failed step: a person would not retry at once
				}
			}
		}(i)
	}
	wg.Wait()
	close(records)
	<-done
}
