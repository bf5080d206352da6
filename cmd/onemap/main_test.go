package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/onemap/onemap/auth"
	"github.com/onemap/onemap/internal/gdaltest"
)

// buildBinary compiles onemap once for the end-to-end tests.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "onemap")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startServer runs `onemap serve` and waits until /readyz answers 200.
func startServer(t *testing.T, bin, data string, env ...string) (addr string, stop func()) {
	t.Helper()
	addr = freePort(t)
	cmd := exec.Command(bin, "serve", "--data", data)
	cmd.Env = append(os.Environ(), append(env, "ONEMAP_ADDR="+addr)...) // the address comes from the environment
	logs, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(logs)
		for sc.Scan() {
			if !strings.Contains(sc.Text(), "msg=http") {
				t.Log(sc.Text())
			}
		}
	}()
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cmd.Process.Signal(os.Interrupt)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("server exited with %v after SIGINT", err)
			}
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			t.Error("server did not shut down within 30 s")
		}
	}
	t.Cleanup(stop)
	deadline := time.Now().Add(3 * time.Minute)
	for time.Now().Before(deadline) {
		res, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return addr, stop
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatal("server not ready within 3 minutes")
	return "", nil
}

func getJSON(t *testing.T, url string, v any) int {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if err := json.NewDecoder(res.Body).Decode(v); err != nil {
		t.Fatalf("%s: %v", url, err)
	}
	return res.StatusCode
}

// TestServeDemoEndToEnd is the newcomer's path: serve on a missing file
// creates the demo data; the catalogue lists 26 layers, all with features;
// GDAL reads the same counts and SRS 4490 from the file; an edit survives a
// restart.
func TestServeDemoEndToEnd(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "sub", "onemap.gpkg")
	// What `make run` does: the demo mode with the demo auth file.
	demo := []string{"ONEMAP_DEMO=true", "ONEMAP_AUTH=demo-auth.json"}
	addr, stop := startServer(t, bin, data, demo...)

	var cat struct {
		Groups []map[string]any `json:"groups"`
		Layers []struct {
			ID     string    `json:"id"`
			Count  *int      `json:"count"`
			Bounds []float64 `json:"bounds"`
			Access string    `json:"access"`
		} `json:"layers"`
	}
	if st := getJSON(t, "http://"+addr+"/api/v1/layers", &cat); st != 200 {
		t.Fatalf("layers: %d", st)
	}
	if len(cat.Groups) != 5 || len(cat.Layers) != 26 {
		t.Fatalf("%d groups, %d layers", len(cat.Groups), len(cat.Layers))
	}
	apiCounts := map[string]int{}
	var dltbBounds []float64
	for _, l := range cat.Layers {
		if l.Access == "restricted" {
			// Their size and extent are not shown to a caller who may not see them.
			if l.Count != nil || l.Bounds != nil {
				t.Errorf("restricted layer %s shows count %v, bounds %v", l.ID, *l.Count, l.Bounds)
			}
			continue
		}
		if l.Count == nil || *l.Count == 0 {
			t.Errorf("layer %s has no features", l.ID)
			continue
		}
		apiCounts[l.ID] = *l.Count
		if l.ID == "dltb" {
			dltbBounds = l.Bounds
		}
	}
	if apiCounts["dltb"] < 40000 {
		t.Errorf("demo has %d parcels, want about 50,000", apiCounts["dltb"])
	}
	// A bbox query in the middle of the parcels finds some.
	cx, cy := (dltbBounds[0]+dltbBounds[2])/2, (dltbBounds[1]+dltbBounds[3])/2
	var fc struct {
		NumberMatched int `json:"numberMatched"`
		Features      []struct {
			Properties map[string]any `json:"properties"`
		} `json:"features"`
	}
	url := fmt.Sprintf("http://%s/api/v1/layers/dltb/features?bbox=%f,%f,%f,%f", addr, cx-0.01, cy-0.01, cx+0.01, cy+0.01)
	if st := getJSON(t, url, &fc); st != 200 || fc.NumberMatched == 0 || len(fc.Features) == 0 || fc.Features[0].Properties["DLBM"] == nil {
		t.Fatalf("bbox query: %d, %d matched", st, fc.NumberMatched)
	}

	// An edit, then a restart.
	body := fmt.Sprintf(`{"type":"Feature","geometry":{"type":"Point","coordinates":[%f,%f]},"properties":{"ZHLX":"滑坡","XQDJ":"小","WXRK":12}}`, cx, cy)
	res, err := http.Post("http://"+addr+"/api/v1/layers/dzzhd/features", "application/geo+json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var created struct{ ID int64 }
	json.NewDecoder(res.Body).Decode(&created)
	res.Body.Close()
	if res.StatusCode != 201 {
		t.Fatalf("create: %d", res.StatusCode)
	}
	// Restricted layers need a login even in the demo; the demo supervisor has one.
	res, err = http.Get("http://" + addr + "/api/v1/layers/bdcdj/features?limit=1")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 401 {
		t.Fatalf("anonymous bdcdj in the demo: %d", res.StatusCode)
	}
	res, err = http.Post("http://"+addr+"/api/v1/login", "application/json", strings.NewReader(`{"user":"supervisor","password":"demo-supervisor"}`))
	if err != nil {
		t.Fatal(err)
	}
	var login struct{ Token string }
	json.NewDecoder(res.Body).Decode(&login)
	res.Body.Close()
	req, _ := http.NewRequest("GET", "http://"+addr+"/api/v1/layers/bdcdj/features?limit=1", nil)
	req.Header.Set("Authorization", "Bearer "+login.Token)
	var owners struct{ NumberMatched int }
	if res, err = http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	}
	json.NewDecoder(res.Body).Decode(&owners)
	res.Body.Close()
	if res.StatusCode != 200 || owners.NumberMatched == 0 {
		t.Fatalf("the demo supervisor reads bdcdj: %d, %d features", res.StatusCode, owners.NumberMatched)
	}
	stop()

	// GDAL reads the file the server wrote: same layers, counts (with the new point) and SRS.
	ogr := gdaltest.Summary(t, "-al", data)
	// The 26 layers and the store's two audit tables (history, field checks).
	if len(ogr) != 28 || ogr["onemap_history"].Count == 0 {
		t.Fatalf("ogrinfo lists %d layers, want 26 and onemap_history, onemap_checks; history has %d rows", len(ogr), ogr["onemap_history"].Count)
	}
	for _, id := range []string{"bdcdj", "tdzfaj"} {
		if ogr[id].Count == 0 {
			t.Errorf("restricted layer %s is empty in the file", id)
		}
	}
	for id, n := range apiCounts {
		want := n
		if id == "dzzhd" {
			want++
		}
		if ogr[id].Count != want {
			t.Errorf("layer %s: ogrinfo counts %d, API %d", id, ogr[id].Count, want)
		}
		if !ogr[id].EPSG4490 {
			t.Errorf("layer %s: ogrinfo shows no EPSG:4490", id)
		}
	}

	addr, _ = startServer(t, bin, data, append(demo, "ONEMAP_READ_TIMEOUT=2s")...)
	var f struct {
		ID         int64          `json:"id"`
		Properties map[string]any `json:"properties"`
	}
	if st := getJSON(t, fmt.Sprintf("http://%s/api/v1/layers/dzzhd/features/%d", addr, created.ID), &f); st != 200 || f.Properties["ZHLX"] != "滑坡" {
		t.Fatalf("after restart: %d %v", st, f)
	}
	// A client that sends headers and one body byte does not hold the
	// connection: the read timeout (2 s here) cuts it off.
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /api/v1/layers/dzzhd/features HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
	conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	start := time.Now()
	buf := make([]byte, 4096)
	for {
		if _, err := conn.Read(buf); err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatal("a slow client held its connection for 30 s")
			}
			break // closed by the server
		}
	}
	t.Logf("slow client cut off after %v", time.Since(start).Round(time.Millisecond))

	// --help is help, not a failure; the usage names every flag.
	for _, args := range [][]string{{"serve", "--help"}, {"import", "-h"}} {
		out, err := exec.Command(bin, args...).CombinedOutput()
		if err != nil || strings.Contains(string(out), "failed") || !strings.Contains(string(out), "-data") {
			t.Errorf("%v: %v\n%s", args, err, out)
		}
	}
	out, err := exec.Command(bin, "--help").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--repair") || !strings.Contains(string(out), "--public-url") {
		t.Errorf("--help: %v\n%s", err, out)
	}
}

func TestBadCatalogueRefusedAtStart(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	cat := filepath.Join(dir, "cat.json")
	os.WriteFile(cat, []byte(`{"groups":[{"id":"jc","name":"基础地理","name_en":"x"}],"layers":[{"id":"xzq","name":"行政区","name_en":"x","group":"jc","geometry":"Polygon","access":"public","key_field":"XZQDM","minzoom":0,"maxzoom":22,"style":{"color":"#ffffff"},"fields":[{"name":"XZQDM","label":"代码","type":"varchar","required":true}]}]}`), 0o644)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, "serve", "--catalog", cat, "--data", filepath.Join(dir, "x.gpkg"), "--addr", freePort(t)).CombinedOutput()
	if err == nil {
		t.Fatal("server started with a bad catalogue")
	}
	if !strings.Contains(string(out), "layer xzq") || !strings.Contains(string(out), "field XZQDM") {
		t.Fatalf("message does not name layer and field:\n%s", out)
	}

}

// The demo auth file is what docs/auth.md says: one user per role, each
// with the password demo-<name>, and a county-bound editor.
func TestDemoAuthFile(t *testing.T) {
	a, err := auth.Load("demo-auth.json", auth.Options{LoginBurst: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range auth.Roles {
		p, _, err := a.Login(string(r), "demo-"+string(r), "127.0.0.1")
		if err != nil {
			t.Fatalf("%s: %v", r, err)
		}
		if !p.Has(r) || p.Bound() {
			t.Errorf("%s: roles %v regions %v", r, p.Roles, p.Regions)
		}
	}
	p, _, err := a.Login("county-editor", "demo-county-editor", "127.0.0.1")
	if err != nil || !p.Has(auth.Editor) || !p.Bound() {
		t.Fatalf("county-editor: %+v %v", p, err)
	}
}
