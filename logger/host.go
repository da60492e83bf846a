package logger

import "os"

var hostname = os.Hostname
