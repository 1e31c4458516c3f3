// Package logging owns the node's loggers and their levels: a root level
// and named loggers (a logger made with Named), each of which follows the
// root level until it is given its own, as log4j's loggers do. Levels
// change at run time (Kafka's BROKER_LOGGER config resource) and are not
// persisted.
package logging

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
)

// Key is the attribute that names a logger.
const Key = "logger"

// Root is the root logger's name, as Kafka names it.
const Root = "root"

// LevelTrace is below slog's debug: Kafka's TRACE.
const LevelTrace = slog.LevelDebug - 4

// levelFatal is above slog's error: Kafka's FATAL (Gregor logs nothing at
// it, so it silences a logger).
const levelFatal = slog.LevelError + 4

// levelNames are Kafka's log levels (LogLevelConfig.VALID_LOG_LEVELS).
var levelNames = map[string]slog.Level{
	"TRACE": LevelTrace, "DEBUG": slog.LevelDebug, "INFO": slog.LevelInfo,
	"WARN": slog.LevelWarn, "ERROR": slog.LevelError, "FATAL": levelFatal,
}

// ValidLevels lists Kafka's log levels as its messages do, sorted.
func ValidLevels() string { return strings.Join(slices.Sorted(maps.Keys(levelNames)), ", ") }

// ParseLevel returns the level a Kafka level name stands for.
func ParseLevel(name string) (slog.Level, bool) {
	l, ok := levelNames[name]
	return l, ok
}

// LevelName is the Kafka name of a level: the nearest named level at or
// below it.
func LevelName(l slog.Level) string {
	best, name := slog.Level(-1<<31), "TRACE"
	for n, v := range levelNames {
		if v <= l && v > best {
			best, name = v, n
		}
	}
	return name
}

// Levels holds the root level and each named logger's own level.
type Levels struct {
	mu    sync.Mutex
	root  slog.LevelVar
	own   map[string]slog.Level     // the loggers given a level of their own
	named map[string]*slog.LevelVar // every named logger's level in effect
}

// Handler wraps base so that what it handles is filtered by levels: records
// of a named logger by its level, others by the root level. base should
// enable every level (it is asked too, so a base that filters still does).
func Handler(base slog.Handler, root slog.Level) (*Levels, slog.Handler) {
	lv := &Levels{own: map[string]slog.Level{}, named: map[string]*slog.LevelVar{}}
	lv.root.Set(root)
	return lv, &handler{base: base, levels: lv, level: &lv.root}
}

// Attach returns the Levels of logger's handler, or wraps it with levels
// whose root is the lowest level the handler enables.
func Attach(logger *slog.Logger) (*Levels, *slog.Logger) {
	if h, ok := logger.Handler().(*handler); ok {
		return h.levels, logger
	}
	root := levelFatal
	for _, l := range []slog.Level{levelFatal, slog.LevelError, slog.LevelWarn, slog.LevelInfo, slog.LevelDebug, LevelTrace} {
		if logger.Handler().Enabled(context.Background(), l) {
			root = l
		}
	}
	lv, h := Handler(logger.Handler(), root)
	return lv, slog.New(h)
}

// Named returns logger as the named logger name.
func Named(logger *slog.Logger, name string) *slog.Logger { return logger.With(Key, name) }

// register returns the level in effect of the named logger name, known
// from now on.
func (lv *Levels) register(name string) *slog.LevelVar {
	if name == Root {
		return &lv.root
	}
	lv.mu.Lock()
	defer lv.mu.Unlock()
	v, ok := lv.named[name]
	if !ok {
		v = new(slog.LevelVar)
		v.Set(lv.effectiveLocked(name))
		lv.named[name] = v
	}
	return v
}

func (lv *Levels) effectiveLocked(name string) slog.Level {
	if l, ok := lv.own[name]; ok {
		return l
	}
	return lv.root.Level()
}

// Loggers returns every logger's level in effect by name, root included.
func (lv *Levels) Loggers() map[string]string {
	lv.mu.Lock()
	defer lv.mu.Unlock()
	out := map[string]string{Root: LevelName(lv.root.Level())}
	for name, v := range lv.named {
		out[name] = LevelName(v.Level())
	}
	return out
}

// Exists reports whether a logger of that name exists.
func (lv *Levels) Exists(name string) bool {
	lv.mu.Lock()
	defer lv.mu.Unlock()
	_, ok := lv.named[name]
	return ok || name == Root
}

// Set gives the logger name the Kafka level level: the root level for
// root, which the loggers without their own follow.
func (lv *Levels) Set(name, level string) error {
	l, ok := ParseLevel(level)
	if !ok {
		return fmt.Errorf("unknown log level %s", level)
	}
	lv.mu.Lock()
	defer lv.mu.Unlock()
	if name == Root {
		lv.root.Set(l)
	} else if _, ok := lv.named[name]; ok {
		lv.own[name] = l
	} else {
		return fmt.Errorf("no logger %s", name)
	}
	lv.refreshLocked()
	return nil
}

// Unset makes the named logger name follow the root level again.
func (lv *Levels) Unset(name string) error {
	lv.mu.Lock()
	defer lv.mu.Unlock()
	if _, ok := lv.named[name]; !ok {
		return fmt.Errorf("no logger %s", name)
	}
	delete(lv.own, name)
	lv.refreshLocked()
	return nil
}

func (lv *Levels) refreshLocked() {
	for name, v := range lv.named {
		v.Set(lv.effectiveLocked(name))
	}
}

// handler filters by the level of its logger, then hands records to base.
type handler struct {
	base   slog.Handler
	levels *Levels
	level  *slog.LevelVar
}

func (h *handler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.level.Level() && h.base.Enabled(ctx, l)
}

func (h *handler) Handle(ctx context.Context, r slog.Record) error { return h.base.Handle(ctx, r) }

func (h *handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	level := h.level
	for _, a := range attrs {
		if a.Key == Key {
			level = h.levels.register(a.Value.String())
		}
	}
	return &handler{base: h.base.WithAttrs(attrs), levels: h.levels, level: level}
}

func (h *handler) WithGroup(name string) slog.Handler {
	return &handler{base: h.base.WithGroup(name), levels: h.levels, level: h.level}
}
