package index

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2"

	"github.com/vigil-dev/vigil/event"
	"github.com/vigil-dev/vigil/store"
)

const crashChildEnv = "VIGIL_INDEX_CRASH_CHILD"

func TestMain(m *testing.M) {
	if dir := os.Getenv(crashChildEnv); dir != "" {
		crashChild(dir)
		return
	}
	os.Exit(m.Run())
}

// crashChild indexes the store in dir/store into dir/index, printing the
// indexed seq after every batch, until it is killed.
func crashChild(dir string) {
	st, err := store.Open(filepath.Join(dir, "store"), store.Options{})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(3)
	}
	x, err := Open(filepath.Join(dir, "index"), Options{})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(3)
	}
	err = x.CatchUp(context.Background(), st, func(done, total uint64) { fmt.Println("indexed", done) })
	fmt.Println("done", err)
	time.Sleep(time.Hour) // wait to be killed
}

func TestKilledIndexerCatchesUp(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a child process")
	}
	dir := t.TempDir()
	st := fillAt(t, filepath.Join(dir, "store"), 40000)
	st.Close()

	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), crashChildEnv+"="+dir)
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "error") {
			t.Fatal(line)
		}
		// Kill it once some batches are in, with more to come.
		if strings.HasPrefix(line, "indexed 16384") || strings.HasPrefix(line, "done") {
			break
		}
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()

	st2, err := store.Open(filepath.Join(dir, "store"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	x, err := Open(filepath.Join(dir, "index"), Options{})
	if err != nil {
		t.Fatalf("reopen after SIGKILL: %v", err)
	}
	defer x.Close()
	t.Logf("after SIGKILL the index resumes from seq %d of %d", x.IndexedSeq(), st2.Head().Seq)
	if x.IndexedSeq() >= st2.Head().Seq {
		t.Fatalf("the child was killed before it indexed everything, yet the index says seq %d", x.IndexedSeq())
	}
	if err := x.CatchUp(context.Background(), st2, nil); err != nil {
		t.Fatal(err)
	}
	n, err := x.Count(context.Background(), bleve.NewMatchAllQuery())
	if err != nil || n != st2.Count() {
		t.Fatalf("count after catch-up %d %v, store %d", n, err, st2.Count())
	}
	want := storeOrder(t, st2, func(*event.Event) bool { return true })
	hits, err := x.Page(context.Background(), bleve.NewMatchAllQuery(), len(want), "")
	if err != nil || len(hits) != len(want) {
		t.Fatalf("page %d %v", len(hits), err)
	}
	for i, h := range hits {
		if h.ID != want[i] {
			t.Fatalf("hit %d is %s, the store says %s", i, h.ID, want[i])
		}
	}
}
