package output

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/gopolicy/gopolicy/pkg/decision"
)

// Handler receives what a run produces as it happens: progress, one
// decision per judged subject, then Flush. Judging streams into it and
// knows nothing of formats; a format is one Handler, so a report over
// thousands of artefacts, an eval of one, and a decision stored and
// rendered elsewhere all go through the same seam.
type Handler interface {
	Progress(p Progress) error
	Decision(d *decision.Decision) error
	Flush() error
}

// Progress is where a run stands.
type Progress struct {
	Done, Total int
	// Denied and Errors count the decisions so far that denied, or could
	// not decide.
	Denied, Errors int
	Elapsed        time.Duration
}

// NewHandler renders decisions in a format. Formats that make one
// document of a run (SARIF, JUnit, JSON) collect the decisions and write
// at Flush; progress, when progress is non-nil (a terminal), is drawn on
// one line there.
func NewHandler(f Formatter, w io.Writer, progress io.Writer) Handler {
	return &formatHandler{f: f, w: w, progress: progress}
}

type formatHandler struct {
	f        Formatter
	w        io.Writer
	progress io.Writer
	ds       []*decision.Decision
	drawn    bool
}

func (h *formatHandler) Progress(p Progress) error {
	if h.progress == nil || p.Total <= 1 {
		return nil
	}
	h.drawn = true
	_, err := fmt.Fprintf(h.progress, "\r%s", ProgressLine(p))
	return err
}

func (h *formatHandler) Decision(d *decision.Decision) error {
	h.ds = append(h.ds, d)
	return nil
}

func (h *formatHandler) Flush() error {
	if h.drawn {
		fmt.Fprintln(h.progress)
	}
	if len(h.ds) == 1 {
		return h.f.Format(h.w, h.ds[0])
	}
	return h.f.FormatAll(h.w, h.ds)
}

// ProgressLine draws "[=====>      ] 412/1031 artefacts  38 denied  00:12",
// with an estimate of the time left once there is one.
func ProgressLine(p Progress) string {
	const width = 20
	filled := 0
	if p.Total > 0 {
		filled = p.Done * width / p.Total
	}
	bar := strings.Repeat("=", filled)
	if filled < width {
		bar += ">" + strings.Repeat(" ", width-filled-1)
	}
	line := fmt.Sprintf("[%s] %d/%d artefacts  %d denied", bar, p.Done, p.Total, p.Denied)
	if p.Errors > 0 {
		line += fmt.Sprintf("  %d errors", p.Errors)
	}
	line += "  " + clock(p.Elapsed)
	if p.Done > 0 && p.Done < p.Total {
		left := time.Duration(float64(p.Elapsed) / float64(p.Done) * float64(p.Total-p.Done))
		line += "  ~" + clock(left) + " left"
	}
	return line
}

func clock(d time.Duration) string {
	s := int(d.Round(time.Second).Seconds())
	return fmt.Sprintf("%02d:%02d", s/60, s%60)
}
