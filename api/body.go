package api

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"

	"github.com/gin-gonic/gin"
)

// readBody reads a request body of at most MaxBody bytes in one of the
// accepted media types (JSON when none are named). Writes take JSON only:
// a form or text/plain post from another site's page cannot write features
// (browsers send those without a CORS preflight).
func (s *server) readBody(c *gin.Context, accepted ...string) ([]byte, error) {
	if len(accepted) == 0 {
		accepted = []string{"application/json", "application/geo+json"}
	}
	ct := c.GetHeader("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	ok := false
	for _, a := range accepted {
		ok = ok || (err == nil && mt == a)
	}
	if !ok {
		return nil, &apiError{status: http.StatusUnsupportedMediaType, code: "unsupported_media_type",
			message: fmt.Sprintf("Content-Type %q is not accepted here; send %s", ct, accepted[0]+" or "+accepted[len(accepted)-1])}
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, s.MaxBody))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return nil, err
	} else if err != nil {
		return nil, badRequest("the request body could not be read to its end")
	}
	return body, nil
}
