int old_api(int x) { return x; }
int new_api(int x) { return x + 1; }
__asm__(".symver old_api,api@V1");
__asm__(".symver new_api,api@@V2");
