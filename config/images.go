package config

import (
	"github.com/inferno-llm/inferno/dataset"
)

// DefaultImageSize is the size of generated images when none is given:
// a common vision encoder's input tile.
const DefaultImageSize = "512x512"

// ImageDimensions is the dataset's image size, the default if unset.
func (d Dataset) ImageDimensions() (dataset.ImageSize, error) {
	s := d.ImageSize
	if s == "" {
		s = DefaultImageSize
	}
	return dataset.ParseImageSize(s)
}

func (c *Config) validateImages(w *Workload, field string) error {
	d := w.Dataset
	switch {
	case d.Images < 0:
		return c.fail(w.line, field+".dataset.images", "must not be negative, got %d", d.Images)
	case d.Images > dataset.MaxImages:
		return c.fail(w.line, field+".dataset.images", "%d images a request is over the limit of %d", d.Images, dataset.MaxImages)
	case d.Images == 0 && d.ImageSize != "":
		return c.fail(w.line, field+".dataset.image_size", "needs dataset.images, the number of images a request")
	case d.Images == 0:
		return nil
	}
	size, err := d.ImageDimensions()
	if err != nil {
		return c.fail(w.line, field+".dataset.image_size", "%v", err)
	}
	if b := d.Images * size.DataURLBytes(); b > c.Limits.MaxPromptBytes {
		return c.fail(w.line, field+".dataset.images", "%d images of %dx%d take about %d bytes a request, over limits.max_prompt_bytes (%d)",
			d.Images, size.W, size.H, b, c.Limits.MaxPromptBytes)
	}
	return nil
}
