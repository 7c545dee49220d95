package placement

import (
	"cmp"
	"slices"
)

// shape is the size of one placed replica: its declared watts, CPU,
// memory and GPUs.
type shape struct {
	watts    float64
	cpu, mem int64
	gpus     int
}

// compare orders shapes by watts, then CPU, memory and GPUs.
func (a shape) compare(b shape) int {
	return cmp.Or(cmp.Compare(a.watts, b.watts), cmp.Compare(a.cpu, b.cpu), cmp.Compare(a.mem, b.mem), cmp.Compare(a.gpus, b.gpus))
}

// shapeCount is a shape and how many placed replicas have it.
type shapeCount struct {
	shape
	n int
}

// workloads counts the replicas placed on a cluster by shape, so that the
// engine knows what a typical workload is: the median replica by declared
// watts, as the placement-quality benchmark judges a rack stranded when it
// can no longer take one. Apply and Remove keep it; Clone copies it.
type workloads struct {
	shapes  []shapeCount // sorted by shape.compare
	total   int
	typical shape // the median; zero when nothing is placed
}

// add counts n replicas of sh (n < 0 takes them away, never below zero)
// and finds the median again.
func (w *workloads) add(sh shape, n int) {
	i, found := slices.BinarySearchFunc(w.shapes, sh, func(a shapeCount, b shape) int { return a.compare(b) })
	switch {
	case found:
		n = max(n, -w.shapes[i].n)
		w.shapes[i].n += n
		if w.shapes[i].n == 0 {
			if w.shapes = slices.Delete(w.shapes, i, i+1); len(w.shapes) == 0 {
				w.shapes = nil // as it was before anything was placed
			}
		}
	case n > 0:
		w.shapes = slices.Insert(w.shapes, i, shapeCount{sh, n})
	default:
		return
	}
	w.total += n
	w.typical = w.median()
}

// median is the shape of the median replica by watts (the lower of the
// two middle ones), zero when there is none.
func (w *workloads) median() shape {
	seen := 0
	for _, s := range w.shapes {
		if seen += s.n; 2*seen >= w.total {
			return s.shape
		}
	}
	return shape{}
}

// clone copies w.
func (w workloads) clone() workloads {
	w.shapes = slices.Clone(w.shapes)
	return w
}
