/* The program of a layer's link check (CMakeLists.txt): it calls nothing, so linking it with
 * the whole layer archive resolves exactly the layer's own references. */
int main(void)
{
    return 0;
}
