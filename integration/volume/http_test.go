package volume

import "net/http"

func newRequest(method, url string) (*http.Request, error) {
	return http.NewRequest(method, url, nil)
}
