// Command loadtest runs onemap under a mixed load on the loopback and
// reports latency per endpoint, status counts and memory: 64 clients (by
// default) for 3 minutes of tiles, identify, overlay, queries, listings and
// writes against the demo data at ONEMAP_LOAD_SCALE parcels (default
// 50,000; 1,000,000 for the figure). It starts the server itself
// on 127.0.0.1, never reaches elsewhere, and stops at the duration or the
// request cap, whichever comes first. It fails (exit 1) on any 5xx, on RSS
// at the end more than 10 % above RSS at minute 1 or above twice RSS at
// ready (when /readyz first answers 200), or on an acknowledged write it
// cannot read back.
//
//	go build -o bin/onemap ./cmd/onemap
//	ONEMAP_LOAD_SCALE=1000000 go run ./cmd/loadtest --bin bin/onemap --data /tmp/load-1m.gpkg
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

func run() error {
	bin := flag.String("bin", "bin/onemap", "the onemap binary")
	data := flag.String("data", "", "GeoPackage to serve (generated at the scale when missing; default /tmp/onemap-load-<scale>.gpkg)")
	scale := flag.Int("scale", envInt("ONEMAP_LOAD_SCALE", 50000), "parcels of the demo data (ONEMAP_LOAD_SCALE)")
	clients := flag.Int("clients", 64, "concurrent clients")
	duration := flag.Duration("duration", 3*time.Minute, "how long the load runs")
	maxRequests := flag.Int64("max-requests", 5_000_000, "stop after this many requests")
	flag.Parse()
	if *data == "" {
		*data = fmt.Sprintf("/tmp/onemap-load-%d.gpkg", *scale)
	}
	if _, err := os.Stat(*data); os.IsNotExist(err) {
		fmt.Printf("generating %d parcels into %s\n", *scale, *data)
		cmd := exec.Command(*bin, "fixtures", "--scale", strconv.Itoa(*scale), "--data", *data)
		cmd.Stderr = os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("fixtures: %w", err)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	addr := ln.Addr().String()
	ln.Close()
	srv := exec.Command(*bin, "serve", "--addr", addr, "--data", *data, "--demo", "--rate-limit", "0")
	logs, _ := srv.StderrPipe()
	if err := srv.Start(); err != nil {
		return err
	}
	defer func() { srv.Process.Signal(os.Interrupt); srv.Wait() }()
	overviews := make(chan struct{}) // closed when the server says its overviews are built
	go func() {                      // keep errors and milestones, drop the access log
		sc := bufio.NewScanner(logs)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			line := sc.Text()
			if strings.Contains(line, "level=ERROR") || strings.Contains(line, "msg=ready") || strings.Contains(line, "msg=\"memory after overviews\"") {
				fmt.Fprintln(os.Stderr, "server:", line)
			}
			if strings.Contains(line, "msg=\"memory after overviews\"") {
				close(overviews)
			}
		}
	}()
	base := "http://" + addr
	start := time.Now()
	for {
		if res, err := http.Get(base + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				break
			}
		}
		if time.Since(start) > 30*time.Minute {
			return fmt.Errorf("server not ready in 30 min")
		}
		time.Sleep(200 * time.Millisecond)
	}
	rssReady := rssMB(srv.Process.Pid)
	fmt.Printf("ready in %v, RSS %.0f MB\n", time.Since(start).Round(time.Second), rssReady)

	var cat struct {
		Layers []struct {
			ID     string    `json:"id"`
			Bounds []float64 `json:"bounds"`
		} `json:"layers"`
	}
	if err := getJSON(base+"/api/v1/layers", &cat); err != nil {
		return err
	}
	var b []float64
	for _, l := range cat.Layers {
		if l.ID == "dltb" {
			b = l.Bounds
		}
	}
	if len(b) != 4 {
		return fmt.Errorf("no dltb bounds")
	}

	// The overviews (tiles below each layer's detail zoom) are built after
	// readiness and answer 503 with Retry-After until then, as they should:
	// the load starts once the server says they are all built (a single
	// tile answering is not enough: tiles built early answer while the
	// rest of their layer is still pending).
	select {
	case <-overviews:
	case <-time.After(30 * time.Minute):
		return fmt.Errorf("overviews not built in 30 min")
	}
	fmt.Printf("overviews built %v after start, RSS %.0f MB\n", time.Since(start).Round(time.Second), rssMB(srv.Process.Pid))
	start = time.Now()

	st := newStats()
	var sent atomic.Int64
	var writes sync.Map // tag → id
	ctx, cancel := context.WithTimeout(context.Background(), *duration)
	defer cancel()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *clients}, Timeout: time.Minute}
	var rss1 float64
	go func() {
		select {
		case <-time.After(time.Minute):
			rss1 = rssMB(srv.Process.Pid)
			fmt.Println("minute 1:", memory(base))
		case <-ctx.Done():
		}
	}()
	var wg sync.WaitGroup
	for c := range *clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(c), 7))
			for ctx.Err() == nil && sent.Add(1) <= *maxRequests {
				one(ctx, client, base, b, r, st, &writes, c)
			}
		}()
	}
	wg.Wait()
	rssEnd := rssMB(srv.Process.Pid)
	fmt.Println("end:", memory(base))

	// Every acknowledged write reads back with its tag.
	acked, missing := 0, 0
	writes.Range(func(k, v any) bool {
		acked++
		var f struct {
			Properties struct{ WXRK int } `json:"properties"`
		}
		if err := getJSON(fmt.Sprintf("%s/api/v1/layers/dzzhd/features/%d", base, v.(int64)), &f); err != nil || f.Properties.WXRK != k.(int) {
			missing++
		}
		return true
	})
	ok := st.report(*clients, *duration, *scale)
	fmt.Printf("\nRSS: ready %.0f MB, minute 1 %.0f MB, end %.0f MB\n", rssReady, rss1, rssEnd)
	fmt.Printf("writes: %d acknowledged, %d read back, %d missing\n", acked, acked-missing, missing)
	if rss1 > 0 && rssEnd > rss1*1.10 {
		fmt.Printf("FAIL: RSS at the end is %.1f %% above minute 1\n", 100*(rssEnd/rss1-1))
		ok = false
	}
	if rssEnd > 2*rssReady {
		fmt.Printf("FAIL: RSS at the end is over twice RSS at ready\n")
		ok = false
	}
	if missing > 0 {
		ok = false
	}
	if !ok {
		return fmt.Errorf("load test failed")
	}
	fmt.Println("PASS")
	return nil
}

// one sends one request of the mix: 50 % tiles, 15 % identify, 10 %
// overlay, 10 % query, 10 % listing, 5 % writes.
func one(ctx context.Context, client *http.Client, base string, b []float64, r *rand.Rand, st *stats, writes *sync.Map, c int) {
	lon := b[0] + r.Float64()*(b[2]-b[0])
	lat := b[1] + r.Float64()*(b[3]-b[1])
	var kind, method, url, body string
	switch p := r.IntN(100); {
	case p < 50:
		z := 12 + r.IntN(4)
		n := math.Exp2(float64(z))
		x := int((lon + 180) / 360 * n)
		y := int((1 - math.Log(math.Tan(lat*math.Pi/180)+1/math.Cos(lat*math.Pi/180))/math.Pi) / 2 * n)
		layers := "dltb"
		if r.IntN(2) == 0 {
			layers = "dltb,yjjbnt,jsydsp"
		}
		kind, method, url = fmt.Sprintf("tile z%d", z), "GET", fmt.Sprintf("%s/tiles/%s/%d/%d/%d.mvt", base, layers, z, x, y)
	case p < 65:
		kind, method, url = "identify", "GET", fmt.Sprintf("%s/api/v1/identify?lon=%.6f&lat=%.6f", base, lon, lat)
	case p < 75:
		d := 0.0052 // about 1 km² at 30°N
		kind, method, url = "overlay 1 km²", "POST", base+"/api/v1/analysis/overlay"
		body = fmt.Sprintf(`{"geometry":%s,"layers":["dltb","yjjbnt","jsydsp"]}`, square(lon, lat, d))
	case p < 85:
		kind, method, url = "query", "POST", base+"/api/v1/query"
		body = fmt.Sprintf(`{"geometry":%s,"layers":["dltb"],"filter":{"op":"like","args":[{"property":"DLBM"},"01%%"]},"limit":100}`, square(lon, lat, 0.003))
	case p < 95:
		kind, method, url = "features bbox", "GET", fmt.Sprintf("%s/api/v1/layers/dltb/features?bbox=%.6f,%.6f,%.6f,%.6f&limit=100", base, lon, lat, lon+0.01, lat+0.01)
	default:
		tag := c*10_000_000 + r.IntN(10_000_000)
		kind, method, url = "write", "POST", base+"/api/v1/layers/dzzhd/features"
		body = fmt.Sprintf(`{"type":"Feature","geometry":{"type":"Point","coordinates":[%.6f,%.6f]},"properties":{"ZHLX":"滑坡","XQDJ":"小","WXRK":%d}}`, lon, lat, tag)
		t0 := time.Now()
		req, _ := http.NewRequestWithContext(ctx, method, url, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		res, err := client.Do(req)
		if err != nil {
			if ctx.Err() == nil {
				st.add(kind, 0, time.Since(t0))
			}
			return
		}
		var f struct{ ID int64 }
		json.NewDecoder(res.Body).Decode(&f)
		res.Body.Close()
		st.add(kind, res.StatusCode, time.Since(t0))
		if res.StatusCode == 201 {
			writes.Store(tag, f.ID)
		}
		return
	}
	t0 := time.Now()
	req, _ := http.NewRequestWithContext(ctx, method, url, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := client.Do(req)
	if err != nil {
		if ctx.Err() == nil {
			st.add(kind, 0, time.Since(t0))
		}
		return
	}
	if res.StatusCode >= 500 {
		msg, _ := io.ReadAll(io.LimitReader(res.Body, 512))
		st.failure(kind, res.StatusCode, string(msg))
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	st.add(kind, res.StatusCode, time.Since(t0))
}

func square(lon, lat, d float64) string {
	return fmt.Sprintf(`{"type":"Polygon","coordinates":[[[%.6f,%.6f],[%.6f,%.6f],[%.6f,%.6f],[%.6f,%.6f],[%.6f,%.6f]]]}`,
		lon, lat, lon+d, lat, lon+d, lat+d, lon, lat+d, lon, lat)
}

type stats struct {
	mu     sync.Mutex
	lat    map[string][]time.Duration
	status map[string]map[int]int
	first  map[string]string // the first 5xx answer's body per endpoint and status
}

func newStats() *stats {
	return &stats{lat: map[string][]time.Duration{}, status: map[string]map[int]int{}, first: map[string]string{}}
}

// failure keeps the first 5xx body of an endpoint, so a failed run says why.
func (s *stats) failure(kind string, status int, body string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := fmt.Sprintf("%s %d", kind, status)
	if _, ok := s.first[k]; !ok {
		s.first[k] = strings.TrimSpace(body)
	}
}

func (s *stats) add(kind string, status int, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lat[kind] = append(s.lat[kind], d)
	if s.status[kind] == nil {
		s.status[kind] = map[int]int{}
	}
	s.status[kind][status]++
}

// report prints the table and says whether no 5xx (nor failed connection) came.
func (s *stats) report(clients int, d time.Duration, scale int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	var kinds []string
	for k := range s.lat {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	ok := true
	var out bytes.Buffer
	fmt.Fprintf(&out, "\n%d clients, %v, %d parcels\n\n| endpoint | requests | req/s | p50 ms | p99 ms | statuses |\n|---|---|---|---|---|---|\n", clients, d, scale)
	for _, k := range kinds {
		l := s.lat[k]
		slices.Sort(l)
		q := func(p float64) float64 {
			return float64(l[min(len(l)-1, int(p*float64(len(l))))].Microseconds()) / 1000
		}
		var sts []string
		for code, n := range s.status[k] {
			sts = append(sts, fmt.Sprintf("%d×%d", code, n))
			if code >= 500 || code == 0 {
				ok = false
			}
		}
		slices.Sort(sts)
		fmt.Fprintf(&out, "| %s | %d | %.0f | %.1f | %.1f | %s |\n", k, len(l), float64(len(l))/d.Seconds(), q(0.5), q(0.99), strings.Join(sts, " "))
	}
	fmt.Print(out.String())
	for k, body := range s.first {
		fmt.Printf("first %s: %s\n", k, body)
	}
	if !ok {
		fmt.Println("FAIL: 5xx answers or failed connections (status 0)")
	}
	return ok
}

func getJSON(url string, v any) error {
	res, err := http.Get(url)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		return fmt.Errorf("%s: %d", url, res.StatusCode)
	}
	return json.NewDecoder(res.Body).Decode(v)
}

// memory reads the server's own account of its memory from /metrics (the
// loopback may scrape it): live heap, heap held, the next GC goal and the
// tile cache, in MB.
func memory(base string) string {
	res, err := http.Get(base + "/metrics")
	if err != nil {
		return err.Error()
	}
	defer res.Body.Close()
	want := []string{"go_memstats_heap_alloc_bytes", "go_memstats_heap_inuse_bytes", "go_memstats_heap_sys_bytes",
		"go_memstats_heap_released_bytes", "go_memstats_next_gc_bytes", "go_memstats_stack_inuse_bytes", "onemap_tile_cache_bytes"}
	got := map[string]float64{}
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		name, val, ok := strings.Cut(sc.Text(), " ")
		if ok && slices.Contains(want, name) {
			got[name], _ = strconv.ParseFloat(val, 64)
		}
	}
	var out []string
	for _, k := range want {
		out = append(out, fmt.Sprintf("%s %.0f MB", strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(k, "go_memstats_"), "onemap_"), "_bytes"), got[k]/(1<<20)))
	}
	return strings.Join(out, ", ")
}

// rssMB reads the resident set of a process from /proc (Linux).
func rssMB(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
			return kb / 1024
		}
	}
	return 0
}
