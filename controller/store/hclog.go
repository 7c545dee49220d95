package store

import (
	"context"
	"fmt"
	"io"
	"log"
	"log/slog"

	"github.com/hashicorp/go-hclog"
)

// levelTrace is the slog level of hclog's Trace, below Debug.
const levelTrace = slog.LevelDebug - 4

// hclogAdapter is an hclog.Logger that writes to a slog.Logger, so that Raft
// logs where the rest of the controller does. Levels map one to one (Trace
// below slog's Debug); the slog handler decides what is kept, so SetLevel is a
// no-op. Raft's "error" key is renamed "err", the project's key, and
// hclog.Fmt values are formatted.
type hclogAdapter struct {
	l       *slog.Logger
	name    string
	implied []any
}

var _ hclog.Logger = (*hclogAdapter)(nil)

// newHCLog returns an hclog.Logger writing to l.
func newHCLog(l *slog.Logger) hclog.Logger { return &hclogAdapter{l: l} }

func slogLevel(l hclog.Level) slog.Level {
	switch l {
	case hclog.Trace:
		return levelTrace
	case hclog.Debug:
		return slog.LevelDebug
	case hclog.Warn:
		return slog.LevelWarn
	case hclog.Error:
		return slog.LevelError
	default:
		return slog.LevelInfo
	}
}

// Log writes msg at level with args as key/value pairs.
func (a *hclogAdapter) Log(level hclog.Level, msg string, args ...any) {
	if level == hclog.Off {
		return
	}
	lvl := slogLevel(level)
	ctx := context.Background()
	if !a.l.Enabled(ctx, lvl) {
		return
	}
	attrs := make([]any, 0, len(a.implied)+len(args)+2)
	if a.name != "" {
		attrs = append(attrs, "logger", a.name)
	}
	attrs = append(attrs, convertArgs(a.implied)...)
	attrs = append(attrs, convertArgs(args)...)
	a.l.Log(ctx, lvl, msg, attrs...)
}

// convertArgs returns a copy of hclog's key/value pairs fit for slog: every
// "error" key renamed "err", and hclog.Fmt values formatted.
func convertArgs(args []any) []any {
	out := make([]any, len(args))
	copy(out, args)
	for i := 0; i+1 < len(out); i += 2 {
		if k, ok := out[i].(string); ok && k == "error" {
			out[i] = "err"
		}
		if f, ok := out[i+1].(hclog.Format); ok && len(f) > 0 {
			if format, ok := f[0].(string); ok {
				out[i+1] = fmt.Sprintf(format, f[1:]...)
			}
		}
	}
	return out
}

// Trace logs at trace level.
func (a *hclogAdapter) Trace(msg string, args ...any) { a.Log(hclog.Trace, msg, args...) }

// Debug logs at debug level.
func (a *hclogAdapter) Debug(msg string, args ...any) { a.Log(hclog.Debug, msg, args...) }

// Info logs at info level.
func (a *hclogAdapter) Info(msg string, args ...any) { a.Log(hclog.Info, msg, args...) }

// Warn logs at warn level.
func (a *hclogAdapter) Warn(msg string, args ...any) { a.Log(hclog.Warn, msg, args...) }

// Error logs at error level.
func (a *hclogAdapter) Error(msg string, args ...any) { a.Log(hclog.Error, msg, args...) }

func (a *hclogAdapter) enabled(l hclog.Level) bool {
	return a.l.Enabled(context.Background(), slogLevel(l))
}

// IsTrace reports whether trace logs are kept.
func (a *hclogAdapter) IsTrace() bool { return a.enabled(hclog.Trace) }

// IsDebug reports whether debug logs are kept.
func (a *hclogAdapter) IsDebug() bool { return a.enabled(hclog.Debug) }

// IsInfo reports whether info logs are kept.
func (a *hclogAdapter) IsInfo() bool { return a.enabled(hclog.Info) }

// IsWarn reports whether warnings are kept.
func (a *hclogAdapter) IsWarn() bool { return a.enabled(hclog.Warn) }

// IsError reports whether errors are kept.
func (a *hclogAdapter) IsError() bool { return a.enabled(hclog.Error) }

// ImpliedArgs returns the key/value pairs added by With.
func (a *hclogAdapter) ImpliedArgs() []any { return a.implied }

// With returns a logger that adds args to every line.
func (a *hclogAdapter) With(args ...any) hclog.Logger {
	c := *a
	c.implied = append(append([]any(nil), a.implied...), args...)
	return &c
}

// Name returns the logger's name.
func (a *hclogAdapter) Name() string { return a.name }

// Named returns a logger whose name is this one's followed by name.
func (a *hclogAdapter) Named(name string) hclog.Logger {
	if a.name != "" {
		name = a.name + "." + name
	}
	return a.ResetNamed(name)
}

// ResetNamed returns a logger named name.
func (a *hclogAdapter) ResetNamed(name string) hclog.Logger {
	c := *a
	c.name = name
	return &c
}

// SetLevel does nothing: the slog handler owns the level.
func (a *hclogAdapter) SetLevel(hclog.Level) {}

// GetLevel returns the lowest level the slog handler keeps.
func (a *hclogAdapter) GetLevel() hclog.Level {
	for _, l := range []hclog.Level{hclog.Trace, hclog.Debug, hclog.Info, hclog.Warn, hclog.Error} {
		if a.enabled(l) {
			return l
		}
	}
	return hclog.Off
}

// StandardLogger returns a *log.Logger writing to the slog logger, at the
// forced level if opts sets one, else at info.
func (a *hclogAdapter) StandardLogger(opts *hclog.StandardLoggerOptions) *log.Logger {
	lvl := slog.LevelInfo
	if opts != nil && opts.ForceLevel != hclog.NoLevel {
		lvl = slogLevel(opts.ForceLevel)
	}
	l := a.l.With(convertArgs(a.implied)...)
	if a.name != "" {
		l = l.With("logger", a.name)
	}
	return slog.NewLogLogger(l.Handler(), lvl)
}

// StandardWriter returns the writer of StandardLogger.
func (a *hclogAdapter) StandardWriter(opts *hclog.StandardLoggerOptions) io.Writer {
	return a.StandardLogger(opts).Writer()
}
