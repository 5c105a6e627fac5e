static int counter;
__attribute__((noinline)) int handle_read(int x) { return x + counter++; }
__attribute__((noinline)) int handle_write(int x) { return handle_read(x) * 3; }
__attribute__((weak, noinline)) int weak_fn(int x) { return x - 1; }
void _start(void) { handle_write(weak_fn(2)); for (;;) __asm__ volatile("hlt"); }
