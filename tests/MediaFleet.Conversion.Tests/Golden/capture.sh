#!/bin/sh
# Captures the golden files of the ffmpeg/ffprobe parser tests from real ffmpeg and ffprobe (run once by hand; the
# tests read only the captured files). Captured with Debian 12's ffmpeg 5.1.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
ff() { ffmpeg -nostdin -hide_banner -loglevel error -y "$@"; }
ff -f lavfi -i testsrc2=duration=2:size=320x240:rate=25 -f lavfi -i sine=frequency=440:duration=2 \
   -c:v libx264 -pix_fmt yuv420p -c:a aac -shortest video.mp4
ff -f lavfi -i sine=frequency=440:duration=2 tone.wav
ff -f lavfi -i testsrc2=size=320x240 -frames:v 1 still.png
echo "hello, this is text" > notes.txt

probe() { ffprobe -v error -print_format json -show_format -show_streams "$1" > "$here/$2" 2>/dev/null || true; }
probe video.mp4 probe-video-mp4.json
probe tone.wav probe-tone-wav.json
probe still.png probe-still-png.json
probe notes.txt probe-text.json

progress() { out=$1; golden=$2; shift 2; ffmpeg -nostdin -hide_banner -nostats -loglevel error -progress pipe:1 -y "$@" "file:$out" > "$here/$golden"; }
progress out.mkv progress-h264-mkv.txt -i file:video.mp4 -map 0:v:0 -map '0:a:0?' -c:v libx264 -preset veryfast -crf 23 -pix_fmt yuv420p -c:a libopus -b:a 128k
progress out.flac progress-flac.txt -i file:tone.wav -vn -c:a flac
progress out.webp progress-webp.txt -i file:still.png -frames:v 1 -c:v libwebp
# A slow encoder reported often: blocks before the first packet show speed=N/A, '   0x' and a negative out_time.
progress slow.mkv progress-h265-slow.txt -stats_period 0.02 -f lavfi -i testsrc2=duration=2:size=320x240:rate=25 \
   -c:v libx265 -preset slow -x265-params log-level=error

probe out.mkv probe-h264-mkv.json
probe out.flac probe-flac.json
probe out.webp probe-webp.json
