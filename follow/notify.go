package follow

import (
	"context"
	"log/slog"
	"path/filepath"

	"github.com/fsnotify/fsnotify"
)

// waker turns file system notifications in the directories of the
// followed paths into wake-ups of their followers. It only shortens the
// wait: the followers poll anyway, so a notification that is lost (a
// watch limit, a queue overflow, a file system without notifications such
// as NFS) costs latency, never lines.
type waker struct {
	w     *fsnotify.Watcher
	byDir map[string][]wakeTarget
	log   *slog.Logger
}

type wakeTarget struct {
	path string
	ch   chan struct{}
}

// newWaker watches the directories of the paths; it returns nil when
// notifications cannot be had, and the followers then only poll.
func newWaker(targets map[string]chan struct{}, log *slog.Logger) *waker {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		log.Info("follow: no file system notifications; polling only", "err", err)
		return nil
	}
	k := &waker{w: w, byDir: map[string][]wakeTarget{}, log: log}
	for path, ch := range targets {
		dir := filepath.Dir(path)
		if _, ok := k.byDir[dir]; !ok {
			if err := w.Add(dir); err != nil {
				log.Info("follow: no file system notifications for a directory; polling it", "dir", dir, "err", err)
			}
		}
		k.byDir[dir] = append(k.byDir[dir], wakeTarget{path, ch})
	}
	return k
}

// run delivers wake-ups until ctx ends, then closes the watcher.
func (k *waker) run(ctx context.Context) {
	defer k.w.Close()
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-k.w.Events:
			if !ok {
				return
			}
			for _, t := range k.byDir[filepath.Dir(ev.Name)] {
				if ev.Name == t.path || rotatedName(t.path, ev.Name) {
					wake(t.ch)
				}
			}
		case err, ok := <-k.w.Errors:
			if !ok {
				return
			}
			// Events may have been lost: wake everyone to look.
			k.log.Debug("follow: file system notifications", "err", err)
			for _, ts := range k.byDir {
				for _, t := range ts {
					wake(t.ch)
				}
			}
		}
	}
}

// wake signals ch without blocking: one pending wake-up is enough.
func wake(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}
